using Gateway.Errors;
using Gateway.Pipeline.Stages;

namespace Gateway.Pipeline;

/// <summary>
/// Runs an inference request through its stages in order and tears them down in reverse order: the stages
/// are the data plane, in the order <see cref="Order"/> lists them. A stage that throws is a bug: the request is
/// recorded as a 500 for its trace, every stage entered still ends, and the exception goes on to the
/// last-resort middleware, which writes the answer.
/// </summary>
internal sealed class InferencePipeline(IReadOnlyList<IInferenceStage> stages)
{
    /// <summary>The pipeline of the gateway's stages, put in <see cref="Order"/>; one of each, or it does not start.</summary>
    public static InferencePipeline Create(IEnumerable<IInferenceStage> stages)
    {
        var ordered = stages.OrderBy(s => Array.IndexOf(Order, s.GetType())).ToArray();
        if (!ordered.Select(s => s.GetType()).SequenceEqual(Order))
        {
            throw new InvalidOperationException($"The inference pipeline needs exactly one of each stage: {string.Join(", ", Order.Select(t => t.Name))}");
        }

        return new InferencePipeline(ordered);
    }

    /// <summary>The stages, in the order a request passes them.</summary>
    public static readonly Type[] Order =
    [
        typeof(TraceStage),          // opens the root span; at the end, finishes the trace
        typeof(AuthenticateStage),   // the gateway key → the caller
        typeof(ReadBodyStage),       // the body into one pooled buffer
        typeof(ResolveStage),        // one parse: the facts, the endpoint, the caller's access
        typeof(AdmitLimitsStage),    // every limit in one store call; at the end, settles with the real usage
        typeof(RequestGuardStage),   // masks, redacts or blocks; watches the answer; at the end, completes the guard
        typeof(MeterStage),          // the meter on the answer; at the end, completes it
        typeof(RouteStage),          // targets, retries, fallbacks, breakers; the provider relays the answer
    ];

    public IReadOnlyList<IInferenceStage> Stages => stages;

    public async Task RunAsync(InferenceContext context)
    {
        var entered = 0;
        try
        {
            while (entered < stages.Count && await stages[entered++].RunAsync(context))
            {
            }
        }
        catch (Exception) when (!context.Aborted.IsCancellationRequested)
        {
            context.RecordError(GatewayErrors.Internal(context.Http.TraceIdentifier));
            throw;
        }
        finally
        {
            // Every stage entered ends, even when one before it in this loop threw (a bug, rethrown after).
            Exception? failure = null;
            for (var i = entered - 1; i >= 0; i--)
            {
                try
                {
                    await stages[i].EndAsync(context);
                }
                catch (Exception exception)
                {
                    failure ??= exception;
                }
            }

            context.Release();
            if (failure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }
        }
    }
}
