using Gateway.Errors;

namespace Gateway.Core.Chat;

/// <summary>Usage in OpenAI's terms: cached tokens are part of the prompt tokens, reasoning tokens part of the completion tokens.</summary>
internal readonly record struct ChatUsage(int PromptTokens, int CompletionTokens, int CachedTokens, int ReasoningTokens = 0);

/// <summary>Why an answer ended, in no API's words: each dialect maps its provider's reasons here, each writer to its client's.</summary>
internal enum ChatFinish
{
    /// <summary>The model finished (or met a stop sequence).</summary>
    Stop,

    /// <summary>It reached the token limit or the context window.</summary>
    Length,

    /// <summary>It stopped to have tools called.</summary>
    ToolCalls,

    /// <summary>A provider's safety system stopped it (or it refused).</summary>
    ContentFilter,
}

/// <summary>
/// A chat answer as the translated providers (and the mock) produce it, in no client API's terms: the whole answer,
/// or the stream's pieces in order (start, role, text, tool calls and their argument fragments, finish, usage,
/// end or error). Each inbound API brings the writer that renders it in its own wire format; OpenAI's chat
/// completions is Inbound/OpenAi's OpenAiChatWriter.
/// </summary>
internal interface IChatAnswerWriter
{
    /// <summary>The whole answer at once.</summary>
    Task WriteCompletionAsync(string text, IReadOnlyList<ToolCallPart> toolCalls, ChatFinish finish, ChatUsage usage, CancellationToken cancellationToken);

    /// <summary>Starts a streamed answer (status and headers; nothing is sent until the first piece).</summary>
    void StartStream();

    ValueTask WriteRoleAsync(CancellationToken cancellationToken);

    ValueTask WriteContentAsync(string content, CancellationToken cancellationToken);

    /// <summary>The first piece of a tool call: its index among this answer's calls, id and name; arguments follow.</summary>
    ValueTask WriteToolCallStartAsync(int index, string id, string name, CancellationToken cancellationToken);

    /// <summary>A fragment of a tool call's arguments; joined in order they form the JSON object.</summary>
    ValueTask WriteToolCallArgumentsAsync(int index, string fragment, CancellationToken cancellationToken);

    ValueTask WriteFinishAsync(ChatFinish finish, CancellationToken cancellationToken);

    /// <summary>The answer's usage, after the finish; a writer whose client did not ask for it (nor the trace) writes nothing.</summary>
    ValueTask WriteUsageAsync(ChatUsage usage, CancellationToken cancellationToken);

    /// <summary>The stream ended whole.</summary>
    ValueTask WriteDoneAsync(CancellationToken cancellationToken);

    /// <summary>The stream broke off: the client's error event, so its SDK raises rather than take a partial answer as complete.</summary>
    ValueTask WriteErrorAsync(GatewayError error, CancellationToken cancellationToken);
}
