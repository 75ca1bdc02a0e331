using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime.EventStreams;
using FakeProviders.OpenAi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FakeProviders.Bedrock;

/// <summary>
/// A fake of Amazon Bedrock's runtime API, Converse and ConverseStream (<c>POST /model/{modelId}/converse</c>,
/// <c>/converse-stream</c>), in its real wire format: AWS Signature V4 checked as AWS checks it (or a Bedrock API
/// key as a bearer token), AWS's JSON errors with the type in <c>x-amzn-ErrorType</c>, request checks as strict
/// as the service's (a conversation starts with the user and alternates, no blank text, tool blocks need a
/// toolConfig, known image formats, no unknown fields), and streams as binary event-stream messages in the
/// service's order, padded with "p" as Bedrock pads them.
/// </summary>
public sealed class FakeBedrockServer : IAsyncDisposable
{
    public const string AccessKeyId = "AKIAFAKEBEDROCK00001";
    public const string SecretAccessKey = "fakeSecretAccessKey/0123456789abcdefghijKLMN";
    public const string Region = "us-east-1";
    public const string DefaultApiKey = "ABSKQmVkcm9ja0FQSUtleS1mYWtlMDEyMzQ1Njc4OQ==";

    private static readonly HashSet<string> RequestFields =
        ["messages", "system", "inferenceConfig", "toolConfig", "guardrailConfig", "additionalModelRequestFields", "additionalModelResponseFieldPaths", "promptVariables", "requestMetadata", "performanceConfig"];

    private static readonly HashSet<string> BlockFields = ["text", "image", "document", "video", "toolUse", "toolResult", "guardContent", "cachePoint", "reasoningContent"];

    private readonly ConcurrentQueue<Fault> _faults = new();
    private readonly SigV4Verifier _verifier = new(AccessKeyId, SecretAccessKey, Region, "bedrock");
    private WebApplication? _app;

    /// <summary>The endpoint to configure as base_url (the SDKs append /model/…).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    public string ApiKey { get; } = DefaultApiKey;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public string ReplyText { get; set; } = "Hello from the fake Bedrock upstream. How can I help you today?";

    public ISet<string> Models { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "anthropic.claude-3-5-sonnet-20240620-v1:0", "us.anthropic.claude-sonnet-4-20250514-v1:0", "amazon.nova-pro-v1:0", "meta.llama3-1-70b-instruct-v1:0",
    };

    /// <summary>Tool calls the next answer makes, when its request has a toolConfig: (name, input as JSON).</summary>
    public ConcurrentQueue<(string Name, string InputJson)> ToolUses { get; } = new();

    /// <summary>A stop reason for the next answer instead of end_turn, such as guardrail_intervened.</summary>
    public ConcurrentQueue<string> StopReasons { get; } = new();

    /// <summary>Tokens the next answers report as read from the prompt cache.</summary>
    public int CacheReadTokens { get; set; }

    public static async Task<FakeBedrockServer> StartAsync()
    {
        var server = new FakeBedrockServer();
        var (app, root) = await FakeServerHost.StartAsync(a =>
        {
            a.MapPost("/model/{modelId}/converse", (HttpContext context, string modelId) => server.HandleAsync(context, modelId, stream: false));
            a.MapPost("/model/{modelId}/converse-stream", (HttpContext context, string modelId) => server.HandleAsync(context, modelId, stream: true));
        });
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

    private async Task HandleAsync(HttpContext context, string modelId, bool stream)
    {
        var recorded = await RecordedRequest.ReadAsync(context);
        Requests.Enqueue(recorded);
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        var authorization = recorded.Header("authorization");
        if (authorization is null)
        {
            await ErrorAsync(context, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
            return;
        }

        if (authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            if (authorization["Bearer ".Length..] != ApiKey)
            {
                await ErrorAsync(context, 403, "AccessDeniedException", "Invalid API Key format: Must start with pre-defined prefix");
                return;
            }
        }
        else if (_verifier.Verify(context, recorded.Body) is { } refused)
        {
            await ErrorAsync(context, 403, refused.Type, refused.Message);
            return;
        }

        var model = Uri.UnescapeDataString(modelId);
        _faults.TryDequeue(out var fault);
        if (fault is Fault.Status status)
        {
            context.Response.Headers["x-amzn-ErrorType"] = BedrockErrors.TypeFor(status.Code) + ":http://internal.amazon.com/coral/com.amazon.bedrock/";
        }

        if (!await Fault.ApplyBeforeAnswerAsync(context, recorded, fault, BedrockErrors.ForStatus))
        {
            return;
        }

        JsonObject? request;
        try
        {
            request = JsonNode.Parse(recorded.Body) as JsonObject;
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request is null)
        {
            await ErrorAsync(context, 400, "SerializationException", "Unable to parse the request body as JSON.");
            return;
        }

        if (Validate(request, model) is { } invalid)
        {
            await ErrorAsync(context, 400, "ValidationException", invalid);
            return;
        }

        try
        {
            await AnswerAsync(context, request, stream, fault);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            recorded.MarkAborted();
        }
    }

    private string? Validate(JsonObject request, string model)
    {
        if (!Models.Contains(model))
        {
            return "The provided model identifier is invalid.";
        }

        if (request.Select(p => p.Key).FirstOrDefault(k => !RequestFields.Contains(k)) is { } unknown)
        {
            return $"Malformed input request: extraneous key [{unknown}] is not permitted, please reformat your input and try again.";
        }

        if (request["messages"] is not JsonArray { Count: > 0 } messages)
        {
            return "A conversation must start with a user message. Try again with a conversation that starts with a user message.";
        }

        var hasToolConfig = request["toolConfig"] is JsonObject;
        for (var i = 0; i < messages.Count; i++)
        {
            var role = messages[i]?["role"]?.GetValue<string>();
            if (role is not ("user" or "assistant"))
            {
                return $"1 validation error detected: Value '{role}' at 'messages.{i + 1}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]";
            }

            if (i == 0 && role != "user")
            {
                return "A conversation must start with a user message. Try again with a conversation that starts with a user message.";
            }

            if (i > 0 && role == messages[i - 1]!["role"]!.GetValue<string>())
            {
                return "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.";
            }

            if (messages[i]?["content"] is not JsonArray { Count: > 0 } blocks)
            {
                return $"The content field in the Message object at messages.{i} is empty. Add a ContentBlock object to the content field and try again.";
            }

            for (var b = 0; b < blocks.Count; b++)
            {
                if (ValidateBlock(blocks[b] as JsonObject, $"messages.{i}.content.{b}", hasToolConfig) is { } error)
                {
                    return error;
                }
            }
        }

        if (request["toolConfig"]?["tools"] is JsonArray tools && tools.Any(t => t?["toolSpec"]?["inputSchema"]?["json"] is not JsonObject))
        {
            return "The value at toolConfig.tools.0.toolSpec.inputSchema.json.type must be one of the following: object.";
        }

        return null;
    }

    private static string? ValidateBlock(JsonObject? block, string path, bool hasToolConfig)
    {
        if (block is null || block.Count != 1 || !BlockFields.Contains(block.First().Key))
        {
            return $"Malformed input request: #/{path.Replace('.', '/')}: expected exactly one of {string.Join(", ", BlockFields)}";
        }

        if (block["text"] is JsonValue text && string.IsNullOrWhiteSpace(text.GetValue<string>()))
        {
            return $"The text field in the ContentBlock object at {path} is blank. Add text to the text field, and try again.";
        }

        if (block["image"] is JsonObject image)
        {
            if (image["format"]?.GetValue<string>() is not ("png" or "jpeg" or "gif" or "webp"))
            {
                return $"1 validation error detected: Value '{image["format"]}' at '{path}.image.format' failed to satisfy constraint: Member must satisfy enum value set: [gif, jpeg, png, webp]";
            }

            try
            {
                Convert.FromBase64String(image["source"]?["bytes"]?.GetValue<string>() ?? "");
            }
            catch (FormatException)
            {
                return $"Invalid base64 in {path}.image.source.bytes";
            }
        }

        if ((block["toolUse"] is not null || block["toolResult"] is not null) && !hasToolConfig)
        {
            return "The toolConfig field must be defined when using toolUse and toolResult content blocks.";
        }

        return null;
    }

    private async Task AnswerAsync(HttpContext context, JsonObject request, bool stream, Fault? fault)
    {
        var words = ReplyText.Split(' ').Select((w, i) => i == 0 ? w : " " + w).ToList();
        var stopReason = StopReasons.TryDequeue(out var queued) ? queued : "end_turn";
        if (request["inferenceConfig"]?["maxTokens"] is JsonValue max && words.Count > max.GetValue<int>())
        {
            words = words.Take(max.GetValue<int>()).ToList();
            stopReason = "max_tokens";
        }

        var uses = new List<(string Id, string Name, string Input)>();
        if (request["toolConfig"] is JsonObject && stopReason == "end_turn")
        {
            while (ToolUses.TryDequeue(out var use))
            {
                uses.Add(("tooluse_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(11)), use.Name, use.InputJson));
            }

            if (uses.Count > 0)
            {
                stopReason = "tool_use";
            }
        }

        var inputTokens = Math.Max(1, request["messages"]!.ToJsonString().Length / 4);
        var outputTokens = Math.Max(1, words.Count + uses.Sum(u => u.Input.Length / 4 + 10));
        var usage = new JsonObject
        {
            ["inputTokens"] = inputTokens,
            ["outputTokens"] = outputTokens,
            ["totalTokens"] = inputTokens + outputTokens + CacheReadTokens,
        };
        if (CacheReadTokens > 0)
        {
            usage["cacheReadInputTokens"] = CacheReadTokens;
            usage["cacheWriteInputTokens"] = 0;
        }

        if (!stream)
        {
            var content = new JsonArray();
            if (words.Count > 0)
            {
                content.Add(new JsonObject { ["text"] = string.Concat(words) });
            }

            foreach (var (id, name, input) in uses)
            {
                content.Add(new JsonObject { ["toolUse"] = new JsonObject { ["toolUseId"] = id, ["name"] = name, ["input"] = JsonNode.Parse(input) } });
            }

            var answer = new JsonObject
            {
                ["output"] = new JsonObject { ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content } },
                ["stopReason"] = stopReason,
                ["usage"] = usage,
                ["metrics"] = new JsonObject { ["latencyMs"] = 412 },
            };
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.ToJsonString(WireJson.Options), context.RequestAborted);
            return;
        }

        var events = new List<(string Type, JsonObject Payload)> { ("messageStart", new JsonObject { ["role"] = "assistant" }) };
        var index = 0;
        if (words.Count > 0)
        {
            foreach (var word in words)
            {
                events.Add(("contentBlockDelta", new JsonObject { ["contentBlockIndex"] = index, ["delta"] = new JsonObject { ["text"] = word } }));
            }

            events.Add(("contentBlockStop", new JsonObject { ["contentBlockIndex"] = index++ }));
        }

        foreach (var (id, name, input) in uses)
        {
            events.Add(("contentBlockStart", new JsonObject { ["contentBlockIndex"] = index, ["start"] = new JsonObject { ["toolUse"] = new JsonObject { ["toolUseId"] = id, ["name"] = name } } }));
            for (var at = 0; at < input.Length; at += 7)
            {
                events.Add(("contentBlockDelta", new JsonObject { ["contentBlockIndex"] = index, ["delta"] = new JsonObject { ["toolUse"] = new JsonObject { ["input"] = input.Substring(at, Math.Min(7, input.Length - at)) } } }));
            }

            events.Add(("contentBlockStop", new JsonObject { ["contentBlockIndex"] = index++ }));
        }

        events.Add(("messageStop", new JsonObject { ["stopReason"] = stopReason }));
        events.Add(("metadata", new JsonObject { ["usage"] = usage, ["metrics"] = new JsonObject { ["latencyMs"] = 412 } }));

        context.Response.ContentType = "application/vnd.amazon.eventstream";
        for (var i = 0; i < events.Count; i++)
        {
            switch (fault)
            {
                case Fault.TruncatedStreamAfter truncate when i == truncate.AfterChunks:
                    return;
                case Fault.MalformedChunk malformed when i == malformed.AfterChunks:
                    var damaged = Event(events[i].Type, events[i].Payload);
                    damaged[^1] ^= 0xFF; // the message CRC no longer matches
                    await WriteAsync(context, damaged);
                    return;
                case Fault.StreamErrorAfter error when i == error.AfterEvents:
                    await WriteAsync(context, Exception(error.ErrorType, error.Message));
                    return;
                case Fault.StreamGate gated when i == 2:
                    await gated.Gate.Task.WaitAsync(context.RequestAborted);
                    break;
            }

            await WriteAsync(context, Event(events[i].Type, events[i].Payload));
        }
    }

    /// <summary>One event message; Bedrock pads each payload with a "p" field of varying length against length side channels.</summary>
    private static byte[] Event(string type, JsonObject payload)
    {
        payload["p"] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123"[..(7 + RandomNumberGenerator.GetInt32(40))];
        return new EventStreamMessage(
            [Header(":event-type", type), Header(":content-type", "application/json"), Header(":message-type", "event")],
            JsonSerializer.SerializeToUtf8Bytes(payload, WireJson.Options)).ToByteArray();
    }

    private static byte[] Exception(string type, string message) => new EventStreamMessage(
        [Header(":exception-type", type), Header(":content-type", "application/json"), Header(":message-type", "exception")],
        JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["message"] = message }, WireJson.Options)).ToByteArray();

    private static EventStreamHeader Header(string name, string value)
    {
        var header = new EventStreamHeader(name);
        header.SetString(value);
        return header;
    }

    private static async Task WriteAsync(HttpContext context, byte[] message)
    {
        await context.Response.Body.WriteAsync(message, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static async Task ErrorAsync(HttpContext context, int status, string type, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["x-amzn-ErrorType"] = type + ":http://internal.amazon.com/coral/com.amazon.bedrock/";
        await context.Response.WriteAsync(BedrockErrors.Body(message), context.RequestAborted);
    }
}
