using System.Diagnostics;
using System.Globalization;
using Gateway.Core;
using Gateway.Errors;
using Gateway.Tracking;
using Microsoft.AspNetCore.Http;

namespace Gateway.Pipeline.Stages;

/// <summary>
/// Opens the request's root span (continuing the caller's traceparent; x-request-id) before anything else, and
/// finishes the trace after everything else: the root's tags and status, then a compact record to the writer's
/// queue. The one place a trace's outcome is written. Every answer carries an x-request-id, traced or not.
/// </summary>
internal sealed class TraceStage(GatewayTracing tracing, TraceWriter writer, TimeProvider time) : IInferenceStage
{
    public string Name => "trace";

    public ValueTask<bool> RunAsync(InferenceContext context)
    {
        context.Trace = tracing.Begin(context.Http, context.Kind.Name());
        if (context.Trace is null)
        {
            // Nothing records this request, but its answer still names it (a caller's support ticket, the logs).
            context.Http.Response.Headers[ErrorResponseWriter.RequestIdHeader] = Guid.CreateVersion7(time.GetUtcNow()).ToString("N");
        }

        return ValueTask.FromResult(true);
    }

    public ValueTask EndAsync(InferenceContext context) => context.Trace is { } trace ? FinishAsync(context, trace) : ValueTask.CompletedTask;

    private async ValueTask FinishAsync(InferenceContext context, RequestTrace trace)
    {
        var http = context.Http;
        var callerGone = context.CallerGone || context.Aborted.IsCancellationRequested;
        var error = context.Error;
        var status = callerGone && error is null ? StatusCodes.Status499ClientClosedRequest
            : !http.Response.HasStarted && error is not null ? error.Status
            : http.Response.StatusCode;
        var meter = context.Meter;
        var root = trace.Root;
        root.SetTag("http.response.status_code", status);
        var endpointName = context.Endpoint?.Name ?? context.AskedModel;
        if (endpointName is not null)
        {
            root.DisplayName = $"{trace.Operation} {endpointName}";
            root.SetTag("gateway.endpoint", endpointName);
        }

        if (context.Caller is { } caller)
        {
            root.SetTag("gateway.user", caller.User);
            root.SetTag("gateway.key_id", caller.KeyId);
        }

        if (meter?.Usage is { } counts)
        {
            root.SetTag("gen_ai.usage.input_tokens", counts.PromptTokens);
            root.SetTag("gen_ai.usage.output_tokens", counts.CompletionTokens);
        }

        var errorType = error?.Code ?? meter?.StreamError ?? (callerGone ? "client_disconnected" : null);
        if (status >= 400 || errorType is not null)
        {
            root.SetStatus(ActivityStatusCode.Error, errorType);
            root.SetTag("error.type", errorType ?? status.ToString(CultureInfo.InvariantCulture));
        }

        root.Stop();
        if (!trace.Recorded)
        {
            return; // only OTLP listens: there is no meter
        }

        var config = context.Snapshot.Config;
        var capture = context.Capture ?? config.Tracking.Capture;
        var target = context.Route.Target;
        var price = Pricing.Find(config, target?.Provider, target?.Model, meter?.Model);
        if (callerGone && error is null)
        {
            error = GatewayErrors.ClientDisconnected();
        }

        var facts = new TraceFacts(context.Caller, endpointName, context.Parsed.Stream, meter, error, target, context.Route.Attempts, context.Reader);
        var record = trace.Build(status, config.Tracking, capture, price, context.Body?.Memory ?? default, facts);
        if (context.Guardrails?.Guardrails is { } guardrails && (record.PendingRequestBody is not null || record.ResponseBody is not null))
        {
            // Traces never keep what the endpoint's guardrails look for, whatever they did with it (log included);
            // the writer redacts, off the request path.
            record = record with { RedactBodies = guardrails.Redact };
        }

        await writer.EnqueueAsync(record);
    }
}
