using System.Diagnostics;
using Gateway.Core;
using Gateway.Errors;
using Gateway.RateLimiting;
using Gateway.Tracking;

namespace Gateway.Pipeline.Stages;

/// <summary>
/// Checks and charges every limit that applies (the endpoint's, the user's, each group's, the key's) in one
/// counter-store call, reserving tokens and cost from the prompt; over a limit, the 429 (or the 503 when the
/// store is down and the policy denies). At the end, settles the reservation with the usage the provider reported.
/// </summary>
internal sealed class AdmitLimitsStage(GatewayRateLimiter limiter, GatewayTracing tracing) : IInferenceStage
{
    public string Name => "admit_limits";

    public ValueTask<bool> RunAsync(InferenceContext context)
    {
        var limits = limiter.Table(context.Snapshot.Config).For(context.Endpoint!.Name, context.Caller!);
        context.Limits = limits;
        return limits.Limits.Length == 0 ? ValueTask.FromResult(true) : AdmitAsync(context);
    }

    private async ValueTask<bool> AdmitAsync(InferenceContext context)
    {
        using var span = tracing.StartSpan("rate_limit");
        var request = new LimitRequest(context.Snapshot.Config, context.Caller!, context.Endpoint!.Name, context.Body!.Memory, context.Texts, context.Parsed.MaxOutputTokens);
        var lease = (LimitLease)await limiter.AcquireAsync(request, permitCount: 1, context.Aborted);
        context.Lease = lease;
        span?.SetTag("gateway.rate_limit.store", lease.StoreName);
        RateLimitHeaders.Register(context.Http.Response, lease);
        if (lease.IsAcquired)
        {
            span?.SetTag("gateway.rate_limit.outcome", "allowed");
            if (lease.ReservedTokens > 0)
            {
                span?.SetTag("gateway.rate_limit.reserved_tokens", lease.ReservedTokens);
            }

            return true;
        }

        GatewayError error;
        if (lease.StoreDownReason is { } reason)
        {
            span?.SetTag("gateway.rate_limit.outcome", "store_down");
            error = RateLimitErrors.RateLimitStoreUnavailable(reason);
        }
        else
        {
            var denied = lease.DeniedLimit!;
            span?.SetTag("gateway.rate_limit.outcome", "limited");
            span?.SetTag("gateway.rate_limit.scope", denied.Scope);
            span?.SetTag("gateway.rate_limit.kind", denied.Kind.Name());
            error = RateLimitErrors.RateLimited(denied, lease.DeniedAmount, lease.RetryAfter);
        }

        span?.SetStatus(ActivityStatusCode.Error, error.Code);
        return await context.FailAsync(error);
    }

    public ValueTask EndAsync(InferenceContext context)
    {
        if (context.Lease is { HasLimits: true } lease)
        {
            // The answer is complete: the reservation is settled with what the provider reported (off the request path).
            var target = context.Route.Target;
            var failed = context.Http.Response.StatusCode >= 400 || context.Error is not null;
            lease.Settle(context.Snapshot.Config, context.Meter?.Usage, failed, target?.Provider, target?.Model, context.Meter?.Model);
        }

        return ValueTask.CompletedTask;
    }
}
