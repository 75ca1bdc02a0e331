using System.Diagnostics;
using System.Globalization;
using Gateway.Auth;
using Gateway.Core;
using Gateway.Configuration.Model;
using Gateway.Errors;

namespace Gateway.Tracking;

/// <summary>
/// One request's trace while it runs: its root span, its request id and the spans its stages have finished.
/// What the request came to is handed to <see cref="Build"/> once, at its end, which makes the record the
/// store keeps.
/// </summary>
internal sealed class RequestTrace(Activity root, string operation, TimeProvider time, bool recorded)
{
    public const string RequestIdHeader = "x-request-id";

    private readonly List<CompactSpan> _spans = new(8);
    private readonly long _started = time.GetTimestamp();
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    public Activity Root { get; } = root;

    /// <summary>UUIDv7 as 32 hex digits: unique across replicas and sorted by time.</summary>
    public string RequestId { get; } = Guid.CreateVersion7(time.GetUtcNow()).ToString("N");

    public string Operation { get; } = operation;

    /// <summary>False when only OTLP listens: the spans go out, nothing is stored.</summary>
    public bool Recorded { get; } = recorded;

    public void AddSpan(Activity activity)
    {
        var span = CompactSpan.Of(activity);
        lock (_spans)
        {
            _spans.Add(span);
        }
    }

    /// <summary>The finished request as the store keeps it; estimates and cost are left to the writer.</summary>
    public TraceRecord Build(int statusCode, TrackingConfig tracking, string capture, ModelPrice? price, ReadOnlyMemory<byte> requestBody, in TraceFacts facts)
    {
        var meter = facts.Meter;
        var error = facts.Error;
        var target = facts.Target;
        var streamError = meter?.StreamError;
        var failed = statusCode >= 400 || error is not null || streamError is not null;
        var usage = meter?.Usage;
        var captureChars = capture switch { "full" => tracking.MaxCapture.Bytes > int.MaxValue ? int.MaxValue : (int)tracking.MaxCapture.Bytes, "preview" => tracking.PreviewChars, _ => 0 };
        CompactSpan[] spans;
        lock (_spans)
        {
            spans = [.. _spans];
        }

        return new TraceRecord
        {
            RequestId = RequestId,
            TraceId = Root.TraceId.ToHexString(),
            SpanId = Root.SpanId.ToHexString(),
            ParentSpanId = Root.ParentSpanId == default ? null : Root.ParentSpanId.ToHexString(),
            StartedAtUs = (_startedAt - DateTimeOffset.UnixEpoch).Ticks / 10,
            DurationMs = time.GetElapsedTime(_started).TotalMilliseconds,
            State = failed ? "ERROR" : "OK",
            StatusCode = statusCode,
            Operation = Operation,
            Stream = facts.Stream,
            Endpoint = facts.Endpoint,
            User = facts.Caller?.User,
            Groups = facts.Caller?.Groups ?? [],
            KeyId = facts.Caller?.KeyId,
            Provider = target?.Provider,
            Model = meter?.Model ?? target?.Model,
            Attempts = facts.Attempts,
            PromptTokens = usage?.PromptTokens ?? 0,
            CompletionTokens = usage?.CompletionTokens ?? 0,
            CachedTokens = usage?.CachedTokens ?? 0,
            ReasoningTokens = usage?.ReasoningTokens ?? 0,
            TimeToFirstTokenMs = meter?.FirstByteTimestamp is { } first && !failed ? time.GetElapsedTime(_started, first).TotalMilliseconds : null,
            ErrorCode = error?.Code ?? streamError ?? (failed ? statusCode.ToString(CultureInfo.InvariantCulture) : null),
            ErrorMessage = error?.Message,
            PendingRequestBody = captureChars == 0 || requestBody.IsEmpty ? null : requestBody.Span[..Utf8Text.PrefixLength(requestBody.Span, captureChars)].ToArray(),
            ResponseBody = captureChars == 0 ? null : meter?.Captured(captureChars),
            PendingSpans = spans,
            Price = price,
            // Usage the provider did not report is counted by the writer's tokenizer, off the request path.
            // Only an answer that reached the client (whole, or a stream cut short) was billed by the provider.
            Estimate = usage is null && target is not null && statusCode < 400 && meter?.FirstByteTimestamp is not null && requestBody.Length > 0
                ? new PendingEstimate(requestBody.ToArray(), EndpointKinds.Parse(Operation), facts.BodyReader, meter.CompletionText)
                : null,
        };
    }
}

/// <summary>What a request came to, as its trace keeps it: handed over once, when the request ends.</summary>
/// <param name="Target">The provider and model that answered (or were tried last).</param>
/// <param name="Error">The error the client got, when the gateway wrote one (or ended a stream with).</param>
/// <param name="BodyReader">The inbound API's reader of the body: an estimate counts the prompt with it.</param>
internal readonly record struct TraceFacts(
    CallerIdentity? Caller, string? Endpoint, bool Stream, ResponseMeter? Meter, GatewayError? Error, TargetName? Target, int Attempts, IRequestReader BodyReader);

/// <summary>A target by its provider's name and type, and its model.</summary>
internal readonly record struct TargetName(string Provider, string ProviderType, string Model);
