using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FakeProviders.OpenAi;

/// <summary>
/// A fake of api.openai.com's /v1 surface (chat completions, completions, embeddings, models) that speaks
/// the real wire format: Bearer auth with OpenAI's own 401 bodies, OpenAI's validation errors, stream
/// chunks in OpenAI's order (role chunk, content chunks, finish chunk, usage chunk, [DONE]). Tests queue
/// <see cref="Fault"/>s to make it fail the way real providers do.
/// </summary>
public sealed partial class FakeOpenAiServer : IAsyncDisposable
{
    public const string DefaultApiKey = "sk-fake-upstream-0123456789abcdef";

    private readonly ConcurrentQueue<Fault> _faults = new();
    private WebApplication? _app;

    private FakeOpenAiServer(string apiKey) => ApiKey = apiKey;

    public string ApiKey { get; }

    /// <summary>The API root to configure as base_url, such as http://127.0.0.1:5123/v1.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    private readonly TaskCompletionSource<RecordedRequest> _firstRequest = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the first request has arrived whole: a test can then move a fake clock past the connect phase.</summary>
    public Task<RecordedRequest> FirstRequest => _firstRequest.Task;

    /// <summary>What the assistant answers; streamed word by word.</summary>
    public string ReplyText { get; set; } = "Hello from the fake OpenAI upstream. How can I help you today?";

    /// <summary>Stream the reply in pieces of this many characters instead of word by word (to split text anywhere).</summary>
    public int? ReplyChunkChars { get; set; }

    /// <summary>Models this account may use; others get OpenAI's 404 model_not_found.</summary>
    public ISet<string> Models { get; } = new HashSet<string>(StringComparer.Ordinal) { "gpt-4o-mini", "gpt-4o", "gpt-3.5-turbo-instruct", "text-embedding-3-small" };

    /// <summary>Tool calls the next chat answer makes, when its request offers tools: (name, arguments as JSON text).</summary>
    public ConcurrentQueue<(string Name, string ArgumentsJson)> ToolCalls { get; } = new();

    /// <summary>Prompt tokens chat usage reports as served from OpenAI's prompt cache (prompt_tokens_details.cached_tokens).</summary>
    public int CachedTokens { get; set; }

    /// <summary>Completion tokens chat usage reports as reasoning (completion_tokens_details.reasoning_tokens).</summary>
    public int ReasoningTokens { get; set; }

    /// <param name="port">A fixed port, to bring a stopped fake back where the gateway expects it; 0 picks a free one.</param>
    public static async Task<FakeOpenAiServer> StartAsync(string apiKey = DefaultApiKey, int port = 0)
    {
        var server = new FakeOpenAiServer(apiKey);
        var (app, root) = await FakeServerHost.StartAsync(server.Map, port);
        server._app = app;
        server.BaseUrl = new Uri(root, "/v1");
        return server;
    }

    /// <summary>The next request suffers this fault (faults queue up, one request each).</summary>
    public void Enqueue(Fault fault) => _faults.Enqueue(fault);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private void Map(WebApplication app)
    {
        app.MapPost("/v1/chat/completions", context => ServeAsync(context, ChatAsync));
        app.MapPost("/v1/completions", context => ServeAsync(context, CompletionsAsync));
        app.MapPost("/v1/embeddings", context => ServeAsync(context, EmbeddingsAsync));
        app.MapGet("/v1/models", context => ServeAsync(context, ModelsAsync));
    }

    private Task ServeAsync(HttpContext context, Func<HttpContext, RecordedRequest, Fault?, Task> handler) =>
        ServeAsync(context, handler, AuthorizeAsync);

    /// <summary>OpenAI's check: a Bearer key, with OpenAI's own 401 bodies.</summary>
    private async Task<bool> AuthorizeAsync(HttpContext context, RecordedRequest recorded)
    {
        context.Response.Headers["x-request-id"] = "req_" + Guid.NewGuid().ToString("N");
        context.Response.Headers["openai-version"] = "2020-10-01";
        context.Response.Headers["openai-processing-ms"] = "12";

        var authorization = recorded.Header("authorization");
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            await WriteJsonAsync(context, 401, OpenAiErrors.MissingKey());
            return false;
        }

        var presented = authorization["Bearer ".Length..];
        if (presented != ApiKey)
        {
            await WriteJsonAsync(context, 401, OpenAiErrors.IncorrectKey(presented));
            return false;
        }

        return true;
    }

    private async Task ServeAsync(HttpContext context, Func<HttpContext, RecordedRequest, Fault?, Task> handler, Func<HttpContext, RecordedRequest, Task<bool>> authorize)
    {
        var recorded = await RecordedRequest.ReadAsync(context);
        Requests.Enqueue(recorded);
        _firstRequest.TrySetResult(recorded);
        if (!await authorize(context, recorded))
        {
            return;
        }

        _faults.TryDequeue(out var fault);
        if (!await Fault.ApplyBeforeAnswerAsync(context, recorded, fault, OpenAiErrors.ForStatus))
        {
            return;
        }

        try
        {
            await handler(context, recorded, fault);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away mid-response; recorded.Aborted tells the test.
            recorded.MarkAborted();
        }
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json, context.RequestAborted);
    }
}
