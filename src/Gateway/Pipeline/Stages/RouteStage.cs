using Gateway.Routing;

namespace Gateway.Pipeline.Stages;

/// <summary>
/// Hands the request to the router (targets by weight, retries, fallbacks, circuit breakers, the deadline),
/// whose provider relays the answer through the meter and the guard to the caller; records the outcome, and
/// writes the final error when no target answered.
/// </summary>
internal sealed class RouteStage(RequestRouter router) : IInferenceStage
{
    public string Name => "route";

    public async ValueTask<bool> RunAsync(InferenceContext context)
    {
        var outcome = await router.RouteAsync(context.Http, context.Caller!, context.Endpoint!, context.Body!, context.Parsed, context.Meter);
        context.Route = outcome;
        return outcome.Error is not { } error || await context.FailAsync(error);
    }

    public ValueTask EndAsync(InferenceContext context) => ValueTask.CompletedTask;
}
