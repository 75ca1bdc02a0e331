using Gateway.Tracking;

namespace Gateway.Pipeline.Stages;

/// <summary>
/// Puts the meter on the answer when the trace or the limits need its usage: every provider's answer reaches
/// the client in OpenAI's format, so one meter reads usage, the answering model and the first byte's time off
/// all of them (a JSON answer on the response's body, a stream's chunks first in the relay), keeps a stream's
/// usage chunk from a caller that did not ask for it, and captures the answer for the trace. At the end,
/// completes it.
/// </summary>
internal sealed class MeterStage(TimeProvider time) : IInferenceStage
{
    public string Name => "meter";

    public ValueTask<bool> RunAsync(InferenceContext context)
    {
        var traced = context.Trace is { Recorded: true };
        if (!traced && !context.Limits.NeedsUsage)
        {
            return ValueTask.FromResult(true);
        }

        var tracking = context.Snapshot.Config.Tracking;
        var capture = traced ? context.Endpoint!.Config.Capture ?? tracking.Capture : "none"; // a meter only for limits keeps no text
        var captureBytes = capture switch { "full" => (int)Math.Min(tracking.MaxCapture.Bytes, int.MaxValue), "preview" => tracking.PreviewChars * 4, _ => 0 };
        var response = context.Http.Response;
        bool IsEventStream() => response.ContentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true;
        context.Meter = new ResponseMeter(response.Body, IsEventStream, time, captureBytes, context.Parsed.UsageForTraceOnly);
        response.Body = context.Meter;
        context.Parsed = context.Parsed with { UsageForTrace = context.Parsed.UsageForTraceOnly };
        return ValueTask.FromResult(true);
    }

    public ValueTask EndAsync(InferenceContext context)
    {
        context.Meter?.Complete();
        return ValueTask.CompletedTask;
    }
}
