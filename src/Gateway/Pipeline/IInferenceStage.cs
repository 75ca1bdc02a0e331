namespace Gateway.Pipeline;

/// <summary>
/// One step of an inference request. <see cref="RunAsync"/> does the step and says whether the request goes on;
/// a stage that stops it has written (or recorded) the outcome through <see cref="InferenceContext.FailAsync"/>.
/// <see cref="EndAsync"/> runs for every stage whose <see cref="RunAsync"/> was entered, in reverse order, once
/// the answer is complete or the request stopped: leases settle and traces finish on every path.
/// </summary>
internal interface IInferenceStage
{
    /// <summary>The stage's name, for logs and tests.</summary>
    string Name { get; }

    ValueTask<bool> RunAsync(InferenceContext context);

    ValueTask EndAsync(InferenceContext context);
}
