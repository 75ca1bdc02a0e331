namespace Gateway.Core.Chat;

/// <summary>
/// A chat request in the gateway's own terms, read once from the caller's dialect (OpenAI's today) and
/// written by each translating provider in its own. It holds what those providers can honour; anything
/// else is refused with a 400 by the reader rather than dropped.
/// </summary>
/// <param name="System">System and developer instructions, in order, for providers that take them apart from the turns.</param>
/// <param name="Turns">User and assistant turns; consecutive turns of one role are merged (tool results count as the user's).</param>
/// <param name="MaxTokens">max_completion_tokens or max_tokens; null when the caller set neither.</param>
/// <param name="ParallelToolCalls">False when the caller asked for at most one tool call; null when it did not say.</param>
internal sealed record ChatRequest(
    IReadOnlyList<string> System,
    IReadOnlyList<ChatTurn> Turns,
    int? MaxTokens,
    double? Temperature,
    double? TopP,
    IReadOnlyList<string> Stop,
    string? User,
    bool Stream,
    bool IncludeUsage,
    IReadOnlyList<ChatTool> Tools,
    ChatToolChoice? ToolChoice,
    bool? ParallelToolCalls)
{
    /// <summary>Set only for providers with <see cref="ChatFeatures.Seed"/>.</summary>
    public long? Seed { get; init; }

    public double? PresencePenalty { get; init; }

    public double? FrequencyPenalty { get; init; }

    /// <summary>JSON mode or a JSON schema; null for plain text.</summary>
    public ChatResponseFormat? ResponseFormat { get; init; }
}

/// <summary>What a translating provider can honour beyond the basics every one of them takes.</summary>
[Flags]
internal enum ChatFeatures
{
    None = 0,
    Seed = 1,
    Penalties = 2,
    JsonObject = 4,
    JsonSchema = 8,

    /// <summary>The API can be told to call at most one tool at a time (parallel_tool_calls: false).</summary>
    SingleToolCall = 16,
}

/// <summary>Where a chat request is going: the provider, what it honours, and whether the endpoint drops what it doesn't.</summary>
internal sealed record ChatTarget(string Provider, string ProviderType, ChatFeatures Features, bool DropUnsupported = false);

/// <summary>JSON output: any JSON object when <paramref name="SchemaJson"/> is null, else one matching that JSON Schema.</summary>
internal sealed record ChatResponseFormat(string? Name, string? SchemaJson, bool Strict);

internal enum ChatRole
{
    User,
    Assistant,
}

/// <summary>One turn: its parts, in order.</summary>
internal sealed record ChatTurn(ChatRole Role, IReadOnlyList<ChatPart> Parts);

/// <summary>A piece of a turn: text, a tool call the assistant made, or the result the caller sends back.</summary>
internal abstract record ChatPart;

internal sealed record TextPart(string Text) : ChatPart;

/// <param name="ArgumentsJson">The call's arguments as a JSON object text, as OpenAI carries them.</param>
internal sealed record ToolCallPart(string Id, string Name, string ArgumentsJson) : ChatPart;

internal sealed record ToolResultPart(string ToolCallId, string Content) : ChatPart;

/// <summary>An image, either inline (media type and base64 data, from a data: URL) or by its http(s) URL.</summary>
internal sealed record ImagePart(string? MediaType, string? Base64Data, Uri? Url) : ChatPart;

/// <param name="ParametersJson">The JSON Schema of the arguments, as the caller wrote it; null when none was given.</param>
internal sealed record ChatTool(string Name, string? Description, string? ParametersJson);

internal enum ToolChoiceMode
{
    Auto,
    None,
    Required,
    Named,
}

internal sealed record ChatToolChoice(ToolChoiceMode Mode, string? Name = null);
