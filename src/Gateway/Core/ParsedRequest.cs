namespace Gateway.Core;

/// <summary>
/// What the gateway needs from an OpenAI request body, found in one pass without building a tree.
/// The body itself is forwarded as bytes; only the <c>model</c> value is spliced.
/// </summary>
/// <param name="ModelTokenStart">Byte offset of the model string token, opening quote included.</param>
/// <param name="ModelTokenLength">Length of the model string token, both quotes included.</param>
/// <param name="IncludeUsage">The caller asked for a usage chunk at the end of its stream.</param>
/// <param name="HasStreamOptions">The body has a stream_options key (any value): the gateway must not add one.</param>
internal readonly record struct ParsedRequest(string Model, int ModelTokenStart, int ModelTokenLength, bool Stream, bool IncludeUsage, bool HasStreamOptions = false)
{
    /// <summary>
    /// A stream whose caller did not ask for usage: the gateway asks for it anyway (for the trace) where it can
    /// add stream_options, and keeps the usage chunk from the caller.
    /// </summary>
    public bool UsageForTraceOnly => Stream && !IncludeUsage && !HasStreamOptions;

    /// <summary>The most output tokens the answer may have (max_tokens or max_completion_tokens, times n); null when not set.</summary>
    public long? MaxOutputTokens { get; init; }

    /// <summary>Set when the trace's meter will take the usage chunk out: providers write (or ask for) one.</summary>
    public bool UsageForTrace { get; init; }

    /// <summary>Whether a stream ends with a usage chunk: the caller's or the trace's.</summary>
    public bool WantsUsage => IncludeUsage || UsageForTrace;
}
