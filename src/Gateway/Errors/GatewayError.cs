namespace Gateway.Errors;

/// <summary>
/// An expected failure, carried as a value to the one place that writes it: an HTTP status and
/// OpenAI's error fields. Messages carry diagnostic state, never keys, prompts or headers.
/// </summary>
internal sealed record GatewayError(int Status, string Type, string? Code, string? Param, string Message)
{
    /// <summary>Response headers to add, such as Retry-After; null when none.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Headers { get; init; }

    /// <summary>
    /// The body exactly as an OpenAI upstream wrote it (key scrubbed), written instead of one built from the
    /// fields, which still describe it for the router; null for errors the gateway words itself.
    /// </summary>
    public ReadOnlyMemory<byte>? RawBody { get; init; }
}
