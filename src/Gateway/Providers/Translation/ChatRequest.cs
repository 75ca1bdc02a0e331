namespace Gateway.Providers.Translation;

/// <summary>
/// A chat request in the gateway's own terms, read once from the caller's dialect (OpenAI's today) and
/// written by each translating provider in its own. It holds what those providers can honour; anything
/// else is refused with a 400 by the reader rather than dropped.
/// </summary>
/// <param name="System">System and developer instructions, in order, for providers that take them apart from the turns.</param>
/// <param name="Turns">User and assistant turns; consecutive turns of one role are merged.</param>
/// <param name="MaxTokens">max_completion_tokens or max_tokens; null when the caller set neither.</param>
internal sealed record ChatRequest(
    IReadOnlyList<string> System,
    IReadOnlyList<ChatTurn> Turns,
    int? MaxTokens,
    double? Temperature,
    double? TopP,
    IReadOnlyList<string> Stop,
    string? User,
    bool Stream,
    bool IncludeUsage);

internal enum ChatRole
{
    User,
    Assistant,
}

/// <summary>One turn: its text parts, in order.</summary>
internal sealed record ChatTurn(ChatRole Role, IReadOnlyList<string> Text);
