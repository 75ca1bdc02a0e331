using System.Diagnostics;
using Gateway.Core;
using Gateway.Errors;
using Gateway.Guardrails;
using Gateway.Tracking;

namespace Gateway.Pipeline.Stages;

/// <summary>
/// Runs the endpoint's guardrails over the request's texts (masking, redacting, blocking or logging, spliced
/// into the pooled body), then puts the guard on the answer when it must be watched or restored. At the end,
/// completes the guard (what it held back) and records the answer's findings.
/// </summary>
internal sealed class RequestGuardStage(GatewayTracing tracing, GuardrailTelemetry telemetry) : IInferenceStage
{
    public string Name => "request_guardrails";

    public ValueTask<bool> RunAsync(InferenceContext context) =>
        context.Snapshot.Guardrails.For(context.Endpoint!.Name) is { } guardrails ? GuardAsync(context, guardrails) : ValueTask.FromResult(true);

    private async ValueTask<bool> GuardAsync(InferenceContext context, EndpointGuardrails guardrails)
    {
        var run = new GuardrailRun(guardrails, context.Endpoint!.Name);
        context.Guardrails = run;
        if (guardrails.OnRequest)
        {
            bool masked;
            using (var span = tracing.StartSpan("guardrail.request"))
            {
                masked = RequestGuard.Apply(context.Body!, context.Texts!, run); // decoded by the resolve stage for this
                run.Tag(span, GuardrailDirection.Request);
                telemetry.Record(run, GuardrailDirection.Request);
                if (run.Blocked(GuardrailDirection.Request))
                {
                    var blocked = GatewayErrors.GuardrailBlocked(run.BlockedBy!, run.BlockedEntities(GuardrailDirection.Request), run.BlockedAt);
                    span?.SetStatus(ActivityStatusCode.Error, blocked.Code);
                    return await context.FailAsync(blocked);
                }
            }

            if (masked)
            {
                // The masked body moved the model's token: read it again (the same request, so it reads).
                _ = context.Reader.TryRead(context.Body!.Span, context.Kind, out var parsed);
                context.Parsed = parsed;
            }
        }

        if (run.WatchesResponse && context.Kind != EndpointKind.Embeddings)
        {
            // Inside the meter: the meter sees the provider's answer (placeholders, usage), the caller the restored one.
            var response = context.Http.Response;
            context.Guard = new ResponseGuard(response.Body, response, run, context.Kind);
            response.Body = context.Guard;
        }

        return true;
    }

    public async ValueTask EndAsync(InferenceContext context)
    {
        if (context.Guard is not { } guard)
        {
            return;
        }

        context.CallerGone |= !await StreamCompletion.TryCompleteAsync(guard.CompleteAsync, context.Aborted);
        var run = context.Guardrails!;
        using (var span = tracing.StartSpan("guardrail.response"))
        {
            // Made when the answer is complete; it carries the time the guard spent on it.
            run.Tag(span, GuardrailDirection.Response);
            span?.SetTag("gateway.guardrail.busy_ms", Math.Round(guard.Busy.TotalMilliseconds, 3));
        }

        telemetry.Record(run, GuardrailDirection.Response);
    }
}
