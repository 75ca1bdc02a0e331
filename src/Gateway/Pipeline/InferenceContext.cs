using System.IO.Pipelines;
using Gateway.Auth;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Errors;
using Gateway.Guardrails;
using Gateway.Providers;
using Gateway.RateLimiting;
using Gateway.Routing;
using Gateway.Streaming;
using Gateway.Tracking;
using Microsoft.AspNetCore.Http;

namespace Gateway.Pipeline;

/// <summary>
/// What one inference request is, as the stages learn it: who called, the body and the facts parsed from it, the
/// endpoint, the limits' lease, the guardrails' run, the meter on the answer, the route's outcome and the error
/// the caller got. Each fact is set by the one stage that owns it; later stages and teardowns only read it.
/// The context owns the request's pooled buffers and returns them when the pipeline is done with it.
/// </summary>
/// <param name="chat">The inbound API's chat reader and answer writer, for providers that translate.</param>
internal sealed class InferenceContext(HttpContext http, EndpointKind kind, GatewaySnapshot snapshot, IRequestReader reader, IChatInbound chat)
{
    public HttpContext Http { get; } = http;

    public EndpointKind Kind { get; } = kind;

    /// <summary>The inbound API's reader: how this request's body is parsed (again after masking).</summary>
    public IRequestReader Reader { get; } = reader;

    /// <summary>The inbound API as providers that translate see it: its chat in the neutral model, and its answer writer.</summary>
    public IChatInbound Chat { get; } = chat;

    /// <summary>One config revision for the whole request: a reload mid-request does not mix two configs.</summary>
    public GatewaySnapshot Snapshot { get; } = snapshot;

    public CancellationToken Aborted => Http.RequestAborted;

    /// <summary>
    /// The caller's response pipe as it was before any stage put a stream on the body: the relay writes a
    /// stream's events here, past the streams that watch a JSON answer.
    /// </summary>
    public PipeWriter ClientBody { get; } = http.Response.BodyWriter;

    /// <summary>The request's trace; null when nothing listens (tracking off, no OTLP). Set by the trace stage.</summary>
    public RequestTrace? Trace { get; set; }

    /// <summary>Set by the authenticate stage.</summary>
    public CallerIdentity? Caller { get; set; }

    /// <summary>The body in a pooled buffer (request guardrails may mask it in place). Set by the read-body stage.</summary>
    public RequestBody? Body { get; set; }

    /// <summary>Every fact the stages need from the body, from one pass. Set by the resolve stage (again after masking).</summary>
    public ParsedRequest Parsed { get; set; }

    /// <summary>
    /// The prompt's strings, decoded by the same pass (what token limits count and request guardrails scan); null
    /// when nothing in this config reads them. Set by the resolve stage; describes the body as it came.
    /// </summary>
    public PromptTexts? Texts { get; set; }

    /// <summary>The endpoint the request names; null when it names none, or before the resolve stage.</summary>
    public RoutedEndpoint? Endpoint { get; set; }

    /// <summary>
    /// The capture setting of the endpoint the body names, found or refused: a refused call to an endpoint that
    /// captures nothing must not be captured by the tracking default. Null when it names none. Set by the resolve stage.
    /// </summary>
    public string? Capture { get; set; }

    /// <summary>The model the body asked for, when it named one (the trace keeps it when no endpoint matched).</summary>
    public string? AskedModel { get; set; }

    /// <summary>The limits that apply; set by the admit stage.</summary>
    public AppliedLimits Limits { get; set; } = AppliedLimits.None;

    public LimitLease? Lease { get; set; }

    public GuardrailRun? Guardrails { get; set; }

    /// <summary>The guard on the answer (restores placeholders, guards the answer), when the guardrails watch it.</summary>
    public ResponseGuard? Guard { get; set; }

    /// <summary>The meter on the answer (usage, model, first byte, capture), when the trace or the limits need it.</summary>
    public ResponseMeter? Meter { get; set; }

    /// <summary>The path of a streamed answer's events, through the meter and the guard to the caller. Set by the route stage.</summary>
    public StreamRelay? Relay { get; set; }

    /// <summary>What routing came to: the target that answered (or was tried last) and the calls made. Set by the route stage.</summary>
    public RouteOutcome Route { get; set; }

    /// <summary>The caller hung up before its answer was complete (seen while the answer's streams completed).</summary>
    public bool CallerGone { get; set; }

    /// <summary>The error the request ended with: written to the caller when the answer had not started. Set once.</summary>
    public GatewayError? Error { get; private set; }

    /// <summary>
    /// Ends the request with <paramref name="error"/>: the one place an inference outcome is recorded and written.
    /// The first error stands; one after the answer started is recorded only (the caller's stream ends instead).
    /// </summary>
    public async ValueTask<bool> FailAsync(GatewayError error)
    {
        Error ??= error;
        await ErrorResponseWriter.WriteAsync(Http, error);
        return false;
    }

    /// <summary>Records an error the caller has already been told of (a stream ended with an error event).</summary>
    public void RecordError(GatewayError error) => Error ??= error;

    /// <summary>Returns the pooled buffers: the body's, its texts' and the meter's.</summary>
    public void Release()
    {
        Meter?.Release();
        Texts?.Dispose();
        Body?.Dispose();
    }
}
