using Gateway.Routing;
using Gateway.Streaming;

namespace Gateway.Pipeline.Stages;

/// <summary>
/// Hands the request to the router (targets by weight, retries, fallbacks, circuit breakers, the deadline),
/// whose provider sends a streamed answer through the relay (the meter, then the guard) and a JSON answer
/// through their streams on the body; records the outcome, and writes the final error when no target answered.
/// At the end, completes the relay: what its stages still hold goes out.
/// </summary>
internal sealed class RouteStage(RequestRouter router) : IInferenceStage
{
    public string Name => "route";

    public async ValueTask<bool> RunAsync(InferenceContext context)
    {
        // The meter sees the provider's answer as it came (placeholders, the usage chunk); the caller, the guard's.
        IChunkStage[] stages = (context.Meter, context.Guard) switch
        {
            (null, null) => [],
            ({ } meter, null) => [meter],
            (null, { } guard) => [guard],
            ({ } meter, { } guard) => [meter, guard],
        };
        context.Relay = new StreamRelay(context.ClientBody, stages);
        var outcome = await router.RouteAsync(new RouteRequest(context.Http, context.Caller!, context.Endpoint!, context.Body!, context.Parsed, context.Meter, context.Relay, context.Chat));
        context.Route = outcome;
        return outcome.Error is not { } error || await context.FailAsync(error);
    }

    public async ValueTask EndAsync(InferenceContext context)
    {
        if (context.Relay is { } relay)
        {
            context.CallerGone |= !await StreamCompletion.TryCompleteAsync(relay.CompleteAsync, context.Aborted);
        }
    }
}
