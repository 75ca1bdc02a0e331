using System.Text.Json.Serialization;
using Gateway.Core;

namespace Gateway.Tracking;

/// <summary>
/// One request, as the tracking store keeps it: MLflow's trace info (id, times, state, request and response
/// previews) with the gateway's accounting (who, which endpoint, which provider and model answered, tokens,
/// cost) and the request's spans. Immutable once built; the writer completes estimates and cost before storing.
/// </summary>
internal sealed record TraceRecord
{
    /// <summary>This request's own id (a UUIDv7, hex): unique across replicas, time-ordered; the x-request-id header.</summary>
    public required string RequestId { get; init; }

    /// <summary>W3C trace id: the caller's, from traceparent, or a new one.</summary>
    public required string TraceId { get; init; }

    /// <summary>The gateway's root span id; the caller's span (from traceparent) is its parent.</summary>
    public required string SpanId { get; init; }

    public string? ParentSpanId { get; init; }

    /// <summary>Unix time in microseconds when the request arrived.</summary>
    public required long StartedAtUs { get; init; }

    public required double DurationMs { get; init; }

    /// <summary>OK or ERROR (any status of 400 or more, or a stream that broke).</summary>
    public required string State { get; init; }

    public required int StatusCode { get; init; }

    /// <summary>chat, completions or embeddings.</summary>
    public required string Operation { get; init; }

    public bool Stream { get; init; }

    /// <summary>The endpoint the caller asked for, when the request got that far.</summary>
    public string? Endpoint { get; init; }

    public string? User { get; init; }

    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>The key's name or short hash; never the key.</summary>
    public string? KeyId { get; init; }

    /// <summary>The provider (by its name in gateway.yaml) that answered, or the last one tried.</summary>
    public string? Provider { get; init; }

    /// <summary>The provider's model that answered (as the provider named it in its answer when it did).</summary>
    public string? Model { get; init; }

    /// <summary>Calls sent to providers, retries included.</summary>
    public int Attempts { get; init; }

    public long PromptTokens { get; init; }

    public long CompletionTokens { get; init; }

    /// <summary>Prompt tokens served from the provider's cache (part of <see cref="PromptTokens"/>).</summary>
    public long CachedTokens { get; init; }

    /// <summary>Reasoning tokens (part of <see cref="CompletionTokens"/>).</summary>
    public long ReasoningTokens { get; init; }

    /// <summary>The provider reported no usage: the counts were made by the gateway's tokenizer.</summary>
    public bool UsageEstimated { get; init; }

    /// <summary>Cost in nano-USD (10⁻⁹ USD), from the prices in force when the request ran; integers sum exactly.</summary>
    public long CostNanoUsd { get; init; }

    /// <summary>False when the answering model has no entry in the pricing table (cost 0).</summary>
    public bool Priced { get; init; }

    /// <summary>From the request's arrival to the first byte of the answer the client got.</summary>
    public double? TimeToFirstTokenMs { get; init; }

    public string? ErrorCode { get; init; }

    public string? ErrorMessage { get; init; }

    /// <summary>The captured request body (none, a preview, or all of it up to max_capture), after PII masking.</summary>
    public string? RequestBody { get; init; }

    public string? ResponseBody { get; init; }

    public IReadOnlyList<SpanRecord> Spans { get; init; } = [];

    /// <summary>
    /// The spans in the store's packed form, made by the writer from <see cref="PendingSpans"/> (journaled as they
    /// are); null for a record that carries <see cref="Spans"/> instead, as every record read back from the store
    /// does (so the trace API, which writes those, never shows it).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public byte[]? PackedSpans { get; init; }

    /// <summary>What the tokenizer needs when the provider reported no usage; dropped once the writer has counted.</summary>
    [JsonIgnore]
    public PendingEstimate? Estimate { get; init; }

    /// <summary>
    /// The endpoint's guardrails' redaction, when it has guardrails: the writer applies it to the captured bodies
    /// before the record is stored or journaled (off the request path), so no trace keeps what they look for.
    /// </summary>
    [JsonIgnore]
    public Func<string, string>? RedactBodies { get; init; }

    /// <summary>Prices in force for <see cref="Model"/> when the request ran; the writer turns tokens into cost with them.</summary>
    [JsonIgnore]
    public Configuration.Model.ModelPrice? Price { get; init; }

    /// <summary>The spans as the request path left them; the writer packs them into <see cref="PackedSpans"/>.</summary>
    [JsonIgnore]
    public CompactSpan[]? PendingSpans { get; init; }

    /// <summary>The request preview as UTF-8 (half a string's size while queued); the writer decodes it into <see cref="RequestBody"/>.</summary>
    [JsonIgnore]
    public byte[]? PendingRequestBody { get; init; }
}

/// <summary>One stage of a request, from the <see cref="System.Diagnostics.Activity"/> that timed it.</summary>
internal sealed record SpanRecord(
    string Name,
    string SpanId,
    string? ParentSpanId,
    long StartedAtUs,
    double DurationMs,
    string Status,
    IReadOnlyDictionary<string, object?> Attributes);

/// <summary>The request text and the answer's text, for the tokenizer, when a provider reported no usage.</summary>
/// <param name="Reader">The inbound API's reader of <paramref name="RequestBody"/>, which finds the prompt's texts.</param>
internal sealed record PendingEstimate(byte[] RequestBody, EndpointKind Kind, IRequestReader Reader, string CompletionText);
