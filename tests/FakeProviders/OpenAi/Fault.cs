namespace FakeProviders.OpenAi;

/// <summary>Something to go wrong with the next request the fake serves.</summary>
public abstract record Fault
{
    /// <summary>Answer with this status; the body defaults to OpenAI's error JSON for the status.</summary>
    public sealed record Status(int Code, string? Body = null, string? ContentType = "application/json", IReadOnlyDictionary<string, string>? Headers = null) : Fault;

    /// <summary>Wait this long before sending response headers.</summary>
    public sealed record Delay(TimeSpan Duration) : Fault;

    /// <summary>Never answer; hold the request until the caller gives up.</summary>
    public sealed record Hang : Fault;

    /// <summary>Drop the connection without answering.</summary>
    public sealed record Reset : Fault;

    /// <summary>Stream this many chunks, then stop early: the OpenAI fake drops the connection; the Anthropic fake ends the response cleanly without its closing events.</summary>
    public sealed record TruncatedStreamAfter(int AfterChunks) : Fault;

    /// <summary>Stream this many chunks, then one that is not JSON, then finish normally.</summary>
    public sealed record MalformedChunk(int AfterChunks) : Fault;

    /// <summary>Send the first chunk, then wait for <see cref="Gate"/> before sending the rest.</summary>
    public sealed record StreamGate(TaskCompletionSource Gate) : Fault;

    /// <summary>Stream this many events, then the provider's in-stream error event (Anthropic sends one when it overloads mid-answer).</summary>
    public sealed record StreamErrorAfter(int AfterEvents, string ErrorType = "overloaded_error", string Message = "Overloaded") : Fault;
}
