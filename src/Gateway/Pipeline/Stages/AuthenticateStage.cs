using System.Diagnostics;
using Gateway.Auth;
using Gateway.Tracking;

namespace Gateway.Pipeline.Stages;

/// <summary>
/// The gateway key → the caller, through the same <see cref="GatewayKeyAuthenticator"/> the management routes'
/// endpoint filter uses. On inference routes it is a stage inside the trace, so a refused key leaves a trace
/// (with its "auth" span) like any other request.
/// </summary>
internal sealed class AuthenticateStage(GatewayTracing tracing) : IInferenceStage
{
    public string Name => "authenticate";

    public ValueTask<bool> RunAsync(InferenceContext context)
    {
        using var span = tracing.StartSpan("auth");
        if (GatewayKeyAuthenticator.TryAuthenticate(context.Http.Request, context.Snapshot, out var caller) is { } error)
        {
            span?.SetStatus(ActivityStatusCode.Error, error.Code);
            return context.FailAsync(error);
        }

        span?.SetTag("gateway.key_id", caller.KeyId);
        context.Caller = caller;
        return ValueTask.FromResult(true);
    }

    public ValueTask EndAsync(InferenceContext context) => ValueTask.CompletedTask;
}
