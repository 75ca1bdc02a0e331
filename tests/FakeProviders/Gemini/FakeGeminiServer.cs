using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FakeProviders.OpenAi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FakeProviders.Gemini;

/// <summary>
/// A fake of the Gemini API (generativelanguage.googleapis.com) in its real wire format:
/// <c>POST /v1beta/models/{model}:generateContent</c>, <c>:streamGenerateContent</c> (SSE with alt=sse, else a
/// JSON array), <c>:embedContent</c> and <c>:batchEmbedContents</c>; the key as <c>x-goog-api-key</c> or
/// <c>?key=</c>; Google's error bodies (a bad key is a 400 with reason API_KEY_INVALID); request checks as strict
/// as the service's (unknown fields, roles only user and model, parts required, function responses named);
/// function calls with thought signatures that must come back, as Gemini 3 requires.
/// </summary>
public sealed partial class FakeGeminiServer : IAsyncDisposable
{
    public const string DefaultApiKey = "AIzaSyFakeGeminiUpstreamKey0123456789ab";
    public const int EmbeddingDimensions = 3072;

    private readonly ConcurrentQueue<Fault> _faults = new();
    private readonly ConcurrentDictionary<string, bool> _signatures = new(StringComparer.Ordinal);
    private WebApplication? _app;

    private FakeGeminiServer(string apiKey) => ApiKey = apiKey;

    public string ApiKey { get; }

    /// <summary>The API root to configure as base_url (the SDKs append /v1/models/…).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>What the model answers; streamed a few words per event.</summary>
    public string ReplyText { get; set; } = "Hello from the fake Gemini upstream. How can I help you today?";

    public ISet<string> Models { get; } = new HashSet<string>(StringComparer.Ordinal) { "gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-pro-preview", "gemini-embedding-001" };

    /// <summary>Function calls the next answer makes, when its request declares functions: (name, args as JSON).</summary>
    public ConcurrentQueue<(string Name, string ArgsJson)> FunctionCalls { get; } = new();

    /// <summary>Sign function calls, and refuse a later turn that leaves a signature out (Gemini 3's rule).</summary>
    public bool SignFunctionCalls { get; set; }

    /// <summary>A finish reason for the next answer instead of STOP, such as SAFETY.</summary>
    public ConcurrentQueue<string> FinishReasons { get; } = new();

    /// <summary>Thinking tokens the model reports spending on each answer.</summary>
    public int ThoughtsTokens { get; set; }

    public static async Task<FakeGeminiServer> StartAsync(string apiKey = DefaultApiKey)
    {
        var server = new FakeGeminiServer(apiKey);
        var (app, root) = await FakeServerHost.StartAsync(a => a.MapPost("/{version}/models/{**call}", server.HandleAsync));
        server._app = app;
        server.BaseUrl = root;
        return server;
    }

    public void Enqueue(Fault fault) => _faults.Enqueue(fault);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context, string version, string call)
    {
        var recorded = await RecordedRequest.ReadAsync(context);
        Requests.Enqueue(recorded);
        var key = recorded.Header("x-goog-api-key") ?? context.Request.Query["key"].FirstOrDefault();
        if (key is null)
        {
            await ErrorAsync(context, 403, GeminiErrors.ForStatus(403));
            return;
        }

        if (key != ApiKey)
        {
            await ErrorAsync(context, 400, GeminiErrors.InvalidKey());
            return;
        }

        var colon = call.LastIndexOf(':');
        var model = colon > 0 ? call[..colon] : call;
        var method = colon > 0 ? call[(colon + 1)..] : "";
        if (version is not ("v1beta" or "v1") || method is not ("generateContent" or "streamGenerateContent" or "embedContent" or "batchEmbedContents"))
        {
            await ErrorAsync(context, 404, GeminiErrors.ForStatus(404));
            return;
        }

        if (!Models.Contains(model))
        {
            await ErrorAsync(context, 404, GeminiErrors.Body(404, "NOT_FOUND",
                $"models/{model} is not found for API version {version}, or is not supported for {method}. Call ListModels to see the list of available models and their supported methods."));
            return;
        }

        _faults.TryDequeue(out var fault);
        if (!await Fault.ApplyBeforeAnswerAsync(context, recorded, fault, GeminiErrors.ForStatus))
        {
            return;
        }

        JsonObject? request;
        try
        {
            request = JsonNode.Parse(recorded.Body) as JsonObject;
        }
        catch (JsonException ex)
        {
            await ErrorAsync(context, 400, GeminiErrors.Body(400, "INVALID_ARGUMENT", $"Invalid JSON payload received. {ex.Message}"));
            return;
        }

        if (request is null)
        {
            await ErrorAsync(context, 400, GeminiErrors.Body(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Expected an object."));
            return;
        }

        try
        {
            await (method switch
            {
                "embedContent" => EmbedAsync(context, request, model),
                "batchEmbedContents" => BatchEmbedAsync(context, request, model),
                _ => GenerateAsync(context, request, model, method == "streamGenerateContent", context.Request.Query["alt"] == "sse", fault),
            });
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            recorded.MarkAborted();
        }
    }

    private static async Task WriteAsync(HttpContext context, string text)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static async Task ErrorAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.WriteAsync(body, context.RequestAborted);
    }
}
