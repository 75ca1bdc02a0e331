using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using FakeProviders.OpenAi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FakeProviders.Anthropic;

/// <summary>
/// A fake of the Anthropic Messages API (POST /v1/messages) in its real wire format: key (x-api-key or
/// Authorization: Bearer, as the official SDK 13.x sends it) and anthropic-version checks with Anthropic's error bodies, request validation as strict as the service
/// (max_tokens required, roles only user and assistant, system only at the top level), content blocks,
/// and streams as named SSE events in the service's order (message_start, content_block_start, ping,
/// content_block_delta…, content_block_stop, message_delta, message_stop). Tests queue
/// <see cref="Fault"/>s and tool calls.
/// </summary>
public sealed partial class FakeAnthropicServer : IAsyncDisposable
{
    public const string DefaultApiKey = "sk-ant-api03-fake-upstream-0123456789abcdef";

    private readonly ConcurrentQueue<Fault> _faults = new();
    private WebApplication? _app;

    private FakeAnthropicServer(string apiKey) => ApiKey = apiKey;

    public string ApiKey { get; }

    /// <summary>The API root to configure as base_url (the SDKs append /v1/messages).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>What the assistant answers; streamed word by word.</summary>
    public string ReplyText { get; set; } = "Hello from the fake Anthropic upstream. How can I help you today?";

    public ISet<string> Models { get; } = new HashSet<string>(StringComparer.Ordinal) { "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1" };

    /// <summary>Tool calls the next answer makes, when its request offers tools: (name, input as JSON).</summary>
    public ConcurrentQueue<(string Name, string InputJson)> ToolUses { get; } = new();

    public static async Task<FakeAnthropicServer> StartAsync(string apiKey = DefaultApiKey)
    {
        var server = new FakeAnthropicServer(apiKey);
        var (app, root) = await FakeServerHost.StartAsync(a => a.MapPost("/v1/messages", server.MessagesAsync));
        server._app = app;
        server.BaseUrl = root;
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

    private async Task MessagesAsync(HttpContext context)
    {
        var recorded = await RecordedRequest.ReadAsync(context);
        Requests.Enqueue(recorded);
        context.Response.Headers["request-id"] = "req_011CFake" + Guid.NewGuid().ToString("N")[..16];
        context.Response.Headers["anthropic-organization-id"] = "00000000-0000-4000-8000-000000000001";

        // The service takes the key as x-api-key or, as the current official SDKs send it, as a bearer token.
        var bearer = recorded.Header("authorization");
        var key = recorded.Header("x-api-key") ?? (bearer?.StartsWith("Bearer ", StringComparison.Ordinal) == true ? bearer["Bearer ".Length..] : null);
        if (key is null)
        {
            await ErrorAsync(context, 401, AnthropicErrors.Body("authentication_error", "x-api-key header is required"));
            return;
        }

        if (key != ApiKey)
        {
            await ErrorAsync(context, 401, AnthropicErrors.Body("authentication_error", "invalid x-api-key"));
            return;
        }

        if (recorded.Header("anthropic-version") is null)
        {
            await ErrorAsync(context, 400, AnthropicErrors.Body("invalid_request_error", "anthropic-version: header is required"));
            return;
        }

        _faults.TryDequeue(out var fault);
        if (!await Fault.ApplyBeforeAnswerAsync(context, recorded, fault, AnthropicErrors.ForStatus))
        {
            return;
        }

        try
        {
            await AnswerAsync(context, recorded.Body, fault);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            recorded.MarkAborted();
        }
    }

    private async Task AnswerAsync(HttpContext context, string body, Fault? fault)
    {
        if (Validate(body) is { } invalid)
        {
            await ErrorAsync(context, invalid.Status, invalid.Body);
            return;
        }

        var request = JsonNode.Parse(body)!.AsObject();
        var model = request["model"]!.GetValue<string>();
        var maxTokens = request["max_tokens"]!.GetValue<int>();
        var inputTokens = Math.Max(1, (request["messages"]!.ToJsonString().Length + (request["system"]?.ToJsonString().Length ?? 0)) / 4);
        var (words, stopReason, stopSequence) = Reply(request, maxTokens);
        if (request["output_config"]?["format"] is JsonObject)
        {
            words = ["{\"answer\": ", "\"fake\"}"]; // structured outputs: JSON matching the schema
        }

        var tools = request["tools"] is JsonArray { Count: > 0 } && stopReason == "end_turn" ? DequeueToolUses() : [];
        if (tools.Count > 0)
        {
            stopReason = "tool_use";
        }

        var id = "msg_01Fake" + Guid.NewGuid().ToString("N")[..16];
        if (request["stream"]?.GetValue<bool>() == true)
        {
            await StreamAsync(context, new Answer(id, model, words, tools, stopReason, stopSequence, inputTokens), fault);
            return;
        }

        var content = new JsonArray();
        if (words.Count > 0)
        {
            content.Add(new JsonObject { ["type"] = "text", ["text"] = string.Concat(words) });
        }

        foreach (var (toolId, name, input) in tools)
        {
            content.Add(new JsonObject { ["type"] = "tool_use", ["id"] = toolId, ["name"] = name, ["input"] = JsonNode.Parse(input) });
        }

        var message = new JsonObject
        {
            ["id"] = id,
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = model,
            ["content"] = content,
            ["stop_reason"] = stopReason,
            ["stop_sequence"] = stopSequence,
            ["usage"] = Usage(inputTokens, OutputTokens(words, tools)),
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(message.ToJsonString(WireJson.Options), context.RequestAborted);
    }

    private sealed record Answer(string Id, string Model, List<string> Words, List<(string Id, string Name, string Input)> Tools, string StopReason, string? StopSequence, int InputTokens);

    private (List<string> Words, string StopReason, string? StopSequence) Reply(JsonObject request, int maxTokens)
    {
        var text = ReplyText;
        string? stopSequence = null;
        foreach (var stop in request["stop_sequences"]?.AsArray().Select(s => s!.GetValue<string>()) ?? [])
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0)
            {
                text = text[..at];
                stopSequence = stop;
                break;
            }
        }

        var words = text.Split(' ').Select((w, i) => i == 0 ? w : " " + w).Where(w => w.Length > 0).ToList();
        if (words.Count > maxTokens)
        {
            return (words.Take(maxTokens).ToList(), "max_tokens", null);
        }

        return (words, stopSequence is null ? "end_turn" : "stop_sequence", stopSequence);
    }

    private List<(string Id, string Name, string Input)> DequeueToolUses()
    {
        var uses = new List<(string, string, string)>();
        while (ToolUses.TryDequeue(out var use))
        {
            uses.Add(("toolu_01Fake" + Guid.NewGuid().ToString("N")[..16], use.Name, use.InputJson));
        }

        return uses;
    }

    private static int OutputTokens(List<string> words, List<(string Id, string Name, string Input)> tools) =>
        Math.Max(1, words.Count + tools.Sum(t => t.Input.Length / 4 + 10));

    private static JsonObject Usage(int input, int output) => new()
    {
        ["input_tokens"] = input,
        ["cache_creation_input_tokens"] = 0,
        ["cache_read_input_tokens"] = 0,
        ["output_tokens"] = output,
        ["service_tier"] = "standard",
    };

    private static async Task ErrorAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body, context.RequestAborted);
    }
}
