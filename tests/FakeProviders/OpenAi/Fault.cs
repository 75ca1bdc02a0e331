using Microsoft.AspNetCore.Http;

namespace FakeProviders.OpenAi;

/// <summary>Something to go wrong with the next request the fake serves.</summary>
public abstract record Fault
{
    /// <summary>Answer normally: a place-holder, so a fault queued after it hits a later request.</summary>
    public sealed record None : Fault;

    /// <summary>Answer with this status; the body defaults to OpenAI's error JSON for the status.</summary>
    public sealed record Status(int Code, string? Body = null, string? ContentType = "application/json", IReadOnlyDictionary<string, string>? Headers = null) : Fault;

    /// <summary>Wait this long before sending response headers.</summary>
    public sealed record Delay(TimeSpan Duration) : Fault;

    /// <summary>Never answer; hold the request until the caller gives up.</summary>
    public sealed record Hang : Fault;

    /// <summary>Drop the connection without answering.</summary>
    public sealed record Reset : Fault;

    /// <summary>Stream this many chunks, then end the response early, cleanly but without the stream's closing events ([DONE], message_stop, a finishReason…).</summary>
    public sealed record TruncatedStreamAfter(int AfterChunks) : Fault;

    /// <summary>Stream this many chunks, then one that is not JSON, then finish normally.</summary>
    public sealed record MalformedChunk(int AfterChunks) : Fault;

    /// <summary>
    /// Send the first chunk, wait for <paramref name="Before"/>, send an SSE comment alone, then wait for
    /// <paramref name="After"/> before the rest: the comment is what OpenAI-compatible servers such as OpenRouter
    /// send to keep a stream alive while a model thinks (OpenAI itself sends none).
    /// </summary>
    public sealed record KeepAliveBetween(TaskCompletionSource Before, TaskCompletionSource After, string Text = "OPENROUTER PROCESSING") : Fault;

    /// <summary>Send the first chunk, then wait for <see cref="Gate"/> before sending the rest.</summary>
    public sealed record StreamGate(TaskCompletionSource Gate) : Fault;

    /// <summary>Stream this many events, then the provider's in-stream error event (Anthropic sends one when it overloads mid-answer).</summary>
    public sealed record StreamErrorAfter(int AfterEvents, string ErrorType = "overloaded_error", string Message = "Overloaded") : Fault;

    /// <summary>
    /// Applies the faults that act before any answer (a status, a delay, a hang, a reset), the same way for
    /// every fake. False when the fault was the whole answer; true when the fake should answer now.
    /// </summary>
    /// <param name="errorBody">The provider's own error body for a status, when the fault names none.</param>
    public static async Task<bool> ApplyBeforeAnswerAsync(HttpContext context, RecordedRequest recorded, Fault? fault, Func<int, string> errorBody)
    {
        switch (fault)
        {
            case Status status:
                foreach (var (name, value) in status.Headers ?? new Dictionary<string, string>())
                {
                    context.Response.Headers[name] = value;
                }

                context.Response.StatusCode = status.Code;
                context.Response.ContentType = status.ContentType;
                await context.Response.WriteAsync(status.Body ?? errorBody(status.Code));
                return false;
            case Delay delay:
                await Task.Delay(delay.Duration, context.RequestAborted);
                return true;
            case Hang:
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => recorded.MarkAborted(), TaskScheduler.Default);
                return false;
            case Reset:
                context.Abort();
                return false;
            default:
                return true;
        }
    }
}
