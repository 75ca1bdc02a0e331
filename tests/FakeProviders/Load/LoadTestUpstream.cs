using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FakeProviders.Load;

/// <summary>
/// A fast fake OpenAI upstream for load tests: the real response shapes (chat, 22-chunk SSE stream,
/// embeddings), pre-serialised so the upstream costs as little CPU as possible on a machine it shares with
/// the system under test. Latency, chunk spacing and "hold open" are switched at run time on /control,
/// so one upstream serves every scenario and every proxy (some of which pass no custom headers through).
/// </summary>
public sealed class LoadTestUpstream
{
    public const int StreamChunkCount = 22;
    public const int EmbeddingDimensions = 1536;
    private const string Model = "gpt-4o-mini-2024-07-18";

    private static readonly byte[] StreamTrue = "\"stream\":true"u8.ToArray();
    private static readonly byte[] StreamTrueSpaced = "\"stream\": true"u8.ToArray();
    private static readonly byte[] IncludeUsageTrue = "\"include_usage\":true"u8.ToArray();
    private static readonly byte[] IncludeUsageTrueSpaced = "\"include_usage\": true"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    private readonly byte[] _chatResponse;
    private readonly byte[][] _streamChunks;
    private readonly byte[] _usageChunk;
    private readonly byte[] _embeddingResponse;
    private TaskCompletionSource _release = NewRelease();
    private int _openStreams;
    private long _requests;

    public LoadTestUpstream()
    {
        var words = ReplyWords();
        _chatResponse = Encoding.UTF8.GetBytes(
            $$"""{"id":"chatcmpl-load0001","object":"chat.completion","created":1732000000,"model":"{{Model}}","choices":[{"index":0,"message":{"role":"assistant","content":"{{string.Concat(words)}}","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{{Usage(words.Length)}},"service_tier":"default","system_fingerprint":"fp_load0001"}""");

        // 21 content chunks (the first also carries the role, as OpenAI's does) and one finish chunk.
        _streamChunks = new byte[StreamChunkCount][];
        for (var i = 0; i < StreamChunkCount - 1; i++)
        {
            var role = i == 0 ? "\"role\":\"assistant\"," : "";
            _streamChunks[i] = Sse($$"""{"id":"chatcmpl-load0001","object":"chat.completion.chunk","created":1732000000,"model":"{{Model}}","system_fingerprint":"fp_load0001","choices":[{"index":0,"delta":{{{role}}"content":"{{words[i]}}"},"logprobs":null,"finish_reason":null}]}""");
        }

        _streamChunks[^1] = Sse($$"""{"id":"chatcmpl-load0001","object":"chat.completion.chunk","created":1732000000,"model":"{{Model}}","system_fingerprint":"fp_load0001","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}""");
        _usageChunk = Sse($$"""{"id":"chatcmpl-load0001","object":"chat.completion.chunk","created":1732000000,"model":"{{Model}}","system_fingerprint":"fp_load0001","choices":[],"usage":{{Usage(StreamChunkCount - 1)}}}""");
        _embeddingResponse = EmbeddingResponse();
    }

    /// <summary>Delay before the response (non-stream) or the first chunk (stream).</summary>
    public int LatencyMs { get; set; }

    /// <summary>Delay between stream chunks; 0 writes them back to back (each still flushed on its own).</summary>
    public int ChunkIntervalMs { get; set; }

    /// <summary>Streams send their first chunk, then wait for <see cref="Release"/>: open-stream memory scenarios.</summary>
    public bool HoldStreams { get; set; }

    public int OpenStreams => Volatile.Read(ref _openStreams);

    public long Requests => Interlocked.Read(ref _requests);

    public void Release() => Interlocked.Exchange(ref _release, NewRelease()).TrySetResult();

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", ChatAsync);
        app.MapPost("/v1/embeddings", EmbeddingsAsync);
        app.MapGet("/healthz", context => context.Response.WriteAsync("ok"));
        app.MapPost("/control", Control);
        app.MapPost("/control/release", context =>
        {
            Release();
            return Task.CompletedTask;
        });
        app.MapGet("/control/stats", context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                $$"""{"requests":{{Requests}},"open_streams":{{OpenStreams}},"latency_ms":{{LatencyMs}},"chunk_interval_ms":{{ChunkIntervalMs}},"hold_streams":{{(HoldStreams ? "true" : "false")}}}"""));
        });
    }

    private Task Control(HttpContext context)
    {
        var query = context.Request.Query;
        if (query.TryGetValue("latency_ms", out var latency))
        {
            LatencyMs = int.Parse(latency!, CultureInfo.InvariantCulture);
        }

        if (query.TryGetValue("chunk_interval_ms", out var interval))
        {
            ChunkIntervalMs = int.Parse(interval!, CultureInfo.InvariantCulture);
        }

        if (query.TryGetValue("hold", out var hold))
        {
            HoldStreams = bool.Parse(hold!);
        }

        return Task.CompletedTask;
    }

    private async Task ChatAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        if (!Authorized(context))
        {
            await UnauthorizedAsync(context);
            return;
        }

        var (stream, includeUsage) = await ReadFlagsAsync(context.Request);
        if (LatencyMs > 0)
        {
            await Task.Delay(LatencyMs, context.RequestAborted);
        }

        if (!stream)
        {
            await WriteJsonAsync(context, _chatResponse);
            return;
        }

        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["x-request-id"] = "req_load0001";
        var hold = HoldStreams ? Volatile.Read(ref _release).Task : null;
        Interlocked.Increment(ref _openStreams);
        try
        {
            for (var i = 0; i < _streamChunks.Length; i++)
            {
                await response.Body.WriteAsync(_streamChunks[i], context.RequestAborted);
                await response.Body.FlushAsync(context.RequestAborted);
                if (i == 0 && hold is not null)
                {
                    await hold.WaitAsync(context.RequestAborted);
                }
                else if (ChunkIntervalMs > 0)
                {
                    await Task.Delay(ChunkIntervalMs, context.RequestAborted);
                }
            }

            if (includeUsage)
            {
                await response.Body.WriteAsync(_usageChunk, context.RequestAborted);
            }

            await response.Body.WriteAsync(Done, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client (or proxy) went away; nothing to send it.
        }
        finally
        {
            Interlocked.Decrement(ref _openStreams);
        }
    }

    private async Task EmbeddingsAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        if (!Authorized(context))
        {
            await UnauthorizedAsync(context);
            return;
        }

        await ReadFlagsAsync(context.Request);
        if (LatencyMs > 0)
        {
            await Task.Delay(LatencyMs, context.RequestAborted);
        }

        await WriteJsonAsync(context, _embeddingResponse);
    }

    // The real API rejects a call without a key; so does this fake, so a proxy that drops it shows up as errors.
    private static bool Authorized(HttpContext context) =>
        context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal);

    private static Task UnauthorizedAsync(HttpContext context)
    {
        context.Response.StatusCode = 401;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(OpenAi.OpenAiErrors.MissingKey());
    }

    /// <summary>Drains the body (a real upstream reads all of it) and finds the two flags that shape the reply.</summary>
    private static async Task<(bool Stream, bool IncludeUsage)> ReadFlagsAsync(HttpRequest request)
    {
        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync();
            if (result.IsCompleted)
            {
                var flags = FindFlags(result.Buffer);
                reader.AdvanceTo(result.Buffer.End);
                return flags;
            }

            // Keep everything until the end: the flags may sit anywhere, also across segment boundaries.
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static (bool Stream, bool IncludeUsage) FindFlags(ReadOnlySequence<byte> body)
    {
        var bytes = body.IsSingleSegment ? body.FirstSpan : body.ToArray();
        var stream = bytes.IndexOf(StreamTrue) >= 0 || bytes.IndexOf(StreamTrueSpaced) >= 0;
        var includeUsage = stream && (bytes.IndexOf(IncludeUsageTrue) >= 0 || bytes.IndexOf(IncludeUsageTrueSpaced) >= 0);
        return (stream, includeUsage);
    }

    private static Task WriteJsonAsync(HttpContext context, byte[] body)
    {
        var response = context.Response;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        response.Headers["x-request-id"] = "req_load0001";
        response.Headers["openai-processing-ms"] = "1";
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static byte[] Sse(string json) => Encoding.UTF8.GetBytes("data: " + json + "\n\n");

    private static string Usage(int completionTokens) =>
        $$$"""{"prompt_tokens":250,"completion_tokens":{{{completionTokens}}},"total_tokens":{{{250 + completionTokens}}},"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}""";

    private static string[] ReplyWords()
    {
        var text = "A gateway sits between agents and providers, so every millisecond it adds is paid on every call and every token it streams.";
        var words = text.Split(' ');
        return [.. words.Select((w, i) => i == 0 ? w : " " + w).Take(StreamChunkCount - 1)];
    }

    private static byte[] EmbeddingResponse()
    {
        var json = new StringBuilder("""{"object":"list","data":[{"object":"embedding","index":0,"embedding":[""", 40_000);
        for (var i = 0; i < EmbeddingDimensions; i++)
        {
            if (i > 0)
            {
                json.Append(',');
            }

            // Values shaped like text-embedding-3-small's: small, signed, about nine significant digits.
            json.Append((Math.Sin(i * 0.37) * 0.05).ToString("0.#########", CultureInfo.InvariantCulture));
        }

        json.Append("""]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":12,"total_tokens":12}}""");
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    private static TaskCompletionSource NewRelease() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
