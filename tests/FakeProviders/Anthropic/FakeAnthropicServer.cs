using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
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
public sealed class FakeAnthropicServer : IAsyncDisposable
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

    private static async Task StreamAsync(HttpContext context, Answer answer, Fault? fault)
    {
        var events = new List<(string Name, JsonObject Data)>
        {
            ("message_start", new JsonObject
            {
                ["type"] = "message_start",
                ["message"] = new JsonObject
                {
                    ["id"] = answer.Id, ["type"] = "message", ["role"] = "assistant", ["model"] = answer.Model, ["content"] = new JsonArray(),
                    ["stop_reason"] = null, ["stop_sequence"] = null, ["usage"] = Usage(answer.InputTokens, 1),
                },
            }),
        };
        var index = 0;
        if (answer.Words.Count > 0)
        {
            events.Add(("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = index, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" } }));
            events.Add(("ping", new JsonObject { ["type"] = "ping" }));
            foreach (var word in answer.Words)
            {
                events.Add(("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = word } }));
            }

            events.Add(("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index++ }));
        }

        foreach (var (toolId, name, input) in answer.Tools)
        {
            events.Add(("content_block_start", new JsonObject
            {
                ["type"] = "content_block_start", ["index"] = index,
                ["content_block"] = new JsonObject { ["type"] = "tool_use", ["id"] = toolId, ["name"] = name, ["input"] = new JsonObject() },
            }));
            // The input arrives as partial JSON strings that only parse once joined, as the service sends them.
            foreach (var part in Split(input, 3))
            {
                events.Add(("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = part } }));
            }

            events.Add(("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index++ }));
        }

        events.Add(("message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = answer.StopReason, ["stop_sequence"] = answer.StopSequence },
            ["usage"] = new JsonObject { ["output_tokens"] = OutputTokens(answer.Words, answer.Tools) },
        }));
        events.Add(("message_stop", new JsonObject { ["type"] = "message_stop" }));

        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        for (var i = 0; i < events.Count; i++)
        {
            switch (fault)
            {
                case Fault.TruncatedStreamAfter truncate when i == truncate.AfterChunks:
                    // The response ends cleanly but early: no message_delta, no message_stop.
                    // (Fault.Reset covers a dropped connection.)
                    return;
                case Fault.MalformedChunk malformed when i == malformed.AfterChunks:
                    await EventAsync(context, "content_block_delta", "{\"type\": \"content_block_delta\", \"index\": ");
                    break;
                case Fault.StreamErrorAfter error when i == error.AfterEvents:
                    await EventAsync(context, "error", AnthropicErrors.Body(error.ErrorType, error.Message));
                    return;
                case Fault.StreamGate gated when i == 2:
                    await gated.Gate.Task.WaitAsync(context.RequestAborted);
                    break;
            }

            await EventAsync(context, events[i].Name, events[i].Data.ToJsonString(WireJson.Options));
        }
    }

    /// <summary>The request checks the service makes, with its messages; null when the request is acceptable.</summary>
    private (int Status, string Body)? Validate(string body)
    {
        JsonObject? request;
        try
        {
            request = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request is null)
        {
            return (400, AnthropicErrors.Body("invalid_request_error", "There was an issue with the format or content of your request. The request body is not valid JSON."));
        }

        foreach (var field in (string[])["model", "max_tokens", "messages"])
        {
            if (request[field] is null)
            {
                return (400, AnthropicErrors.Body("invalid_request_error", $"{field}: Field required"));
            }
        }

        if (request["max_tokens"] is not JsonValue maxTokens || !maxTokens.TryGetValue<int>(out var max) || max < 1)
        {
            return (400, AnthropicErrors.Body("invalid_request_error", "max_tokens: Input should be greater than or equal to 1"));
        }

        if (request["messages"] is not JsonArray { Count: > 0 } messages)
        {
            return (400, AnthropicErrors.Body("invalid_request_error", "messages: List should have at least 1 item after validation, not 0"));
        }

        for (var i = 0; i < messages.Count; i++)
        {
            var role = messages[i]?["role"]?.GetValue<string>();
            if (role is not ("user" or "assistant"))
            {
                // System prompts go in the top-level "system" field; the messages list takes only these two roles.
                return (400, AnthropicErrors.Body("invalid_request_error", $"messages.{i}.role: Input should be 'user' or 'assistant'"));
            }

            if (messages[i]?["content"] is null)
            {
                return (400, AnthropicErrors.Body("invalid_request_error", $"messages.{i}.content: Field required"));
            }

            if (messages[i]!["content"] is JsonArray blocks && ValidateImages(blocks, i) is { } imageError)
            {
                return (400, AnthropicErrors.Body("invalid_request_error", imageError));
            }
        }

        if (request["output_config"]?["format"] is { } format
            && (format["type"]?.GetValue<string>() != "json_schema" || format["schema"] is not JsonObject))
        {
            return (400, AnthropicErrors.Body("invalid_request_error", "output_config.format: Input tag found using 'type' does not match any of the expected tags: 'json_schema', or schema is missing"));
        }

        var model = request["model"]!.GetValue<string>();
        return Models.Contains(model) ? null : (404, AnthropicErrors.Body("not_found_error", $"model: {model}"));
    }

    private static readonly string[] ImageMediaTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"];

    /// <summary>Image blocks as the service checks them: a base64 source with a known media type and data, or a url source.</summary>
    private static string? ValidateImages(JsonArray blocks, int message)
    {
        for (var b = 0; b < blocks.Count; b++)
        {
            if (blocks[b]?["type"]?.GetValue<string>() != "image")
            {
                continue;
            }

            var path = $"messages.{message}.content.{b}.image.source";
            var source = blocks[b]!["source"];
            switch (source?["type"]?.GetValue<string>())
            {
                case "base64" when !ImageMediaTypes.Contains(source["media_type"]?.GetValue<string>()):
                    return $"{path}.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'";
                case "base64" when string.IsNullOrEmpty(source["data"]?.GetValue<string>()):
                    return $"{path}.base64.data: Field required";
                case "base64":
                    break;
                case "url" when source["url"] is null:
                    return $"{path}.url.url: Field required";
                case "url":
                    break;
                default:
                    return $"{path}: Input tag '{source?["type"]}' found using 'type' does not match any of the expected tags: 'base64', 'url'";
            }
        }

        return null;
    }

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

    private static IEnumerable<string> Split(string text, int parts)
    {
        var size = Math.Max(1, (text.Length + parts - 1) / parts);
        for (var i = 0; i < text.Length; i += size)
        {
            yield return text.Substring(i, Math.Min(size, text.Length - i));
        }
    }

    private static async Task EventAsync(HttpContext context, string name, string data)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes($"event: {name}\ndata: {data}\n\n"), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static async Task ErrorAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body, context.RequestAborted);
    }
}
