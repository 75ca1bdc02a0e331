using System.Collections.Concurrent;
using System.Security.Cryptography;
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
public sealed class FakeGeminiServer : IAsyncDisposable
{
    public const string DefaultApiKey = "AIzaSyFakeGeminiUpstreamKey0123456789ab";
    public const int EmbeddingDimensions = 3072;

    private static readonly HashSet<string> RequestFields = ["contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings", "cachedContent", "labels"];
    private static readonly HashSet<string> GenerationFields =
    [
        "temperature", "topP", "topK", "maxOutputTokens", "stopSequences", "candidateCount", "seed", "presencePenalty", "frequencyPenalty",
        "responseMimeType", "responseSchema", "responseJsonSchema", "responseLogprobs", "logprobs", "thinkingConfig", "responseModalities", "mediaResolution",
    ];

    private static readonly HashSet<string> PartFields = ["text", "inlineData", "fileData", "functionCall", "functionResponse", "thought", "thoughtSignature", "executableCode", "codeExecutionResult", "videoMetadata"];

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

    private async Task GenerateAsync(HttpContext context, JsonObject request, string model, bool stream, bool sse, Fault? fault)
    {
        if (Validate(request) is { } invalid)
        {
            await ErrorAsync(context, 400, GeminiErrors.Body(400, "INVALID_ARGUMENT", invalid));
            return;
        }

        var config = request["generationConfig"] as JsonObject;
        var promptTokens = Math.Max(1, (request["contents"]!.ToJsonString().Length + (request["systemInstruction"]?.ToJsonString().Length ?? 0)) / 4);
        var words = ReplyText.Split(' ').Select((w, i) => i == 0 ? w : " " + w).ToList();
        var finishReason = FinishReasons.TryDequeue(out var queued) ? queued : "STOP";
        if (config?["maxOutputTokens"] is JsonValue max && words.Count > max.GetValue<int>())
        {
            words = words.Take(max.GetValue<int>()).ToList();
            finishReason = "MAX_TOKENS";
        }

        if (config?["responseMimeType"]?.GetValue<string>() == "application/json")
        {
            words = ["{\"answer\": ", "\"fake\"}"];
        }

        var calls = new List<JsonObject>();
        if (request["tools"] is JsonArray { Count: > 0 } && finishReason == "STOP")
        {
            while (FunctionCalls.TryDequeue(out var call))
            {
                var part = new JsonObject { ["functionCall"] = new JsonObject { ["name"] = call.Name, ["args"] = JsonNode.Parse(call.ArgsJson) } };
                if (SignFunctionCalls)
                {
                    var signature = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
                    _signatures[signature] = true;
                    part["thoughtSignature"] = signature;
                }

                calls.Add(part);
            }

            if (calls.Count > 0)
            {
                words = [];
            }
        }

        var candidatesTokens = Math.Max(1, words.Count + calls.Sum(c => c.ToJsonString().Length / 4));
        var responseId = Convert.ToBase64String(RandomNumberGenerator.GetBytes(15)).Replace('+', 'x').Replace('/', 'y');
        if (!stream)
        {
            var parts = new JsonArray();
            if (words.Count > 0)
            {
                parts.Add(new JsonObject { ["text"] = string.Concat(words) });
            }

            foreach (var call in calls)
            {
                parts.Add(call);
            }

            context.Response.ContentType = "application/json; charset=UTF-8";
            await context.Response.WriteAsync(Response(parts, finishReason, Usage(promptTokens, candidatesTokens), model, responseId).ToJsonString(WireJson.Options), context.RequestAborted);
            return;
        }

        // A few words per event, function calls whole in an event of their own, the finish reason and full usage on the last.
        var events = new List<JsonObject>();
        for (var i = 0; i < words.Count; i += 3)
        {
            var text = string.Concat(words.Skip(i).Take(3));
            var last = i + 3 >= words.Count && calls.Count == 0;
            events.Add(Response(new JsonArray(new JsonObject { ["text"] = text }), last ? finishReason : null,
                last ? Usage(promptTokens, candidatesTokens) : Usage(promptTokens, null), model, responseId));
        }

        if (calls.Count > 0)
        {
            events.Add(Response(new JsonArray([.. calls]), finishReason, Usage(promptTokens, candidatesTokens), model, responseId));
        }

        if (events.Count == 0)
        {
            events.Add(Response([], finishReason, Usage(promptTokens, candidatesTokens), model, responseId));
        }

        context.Response.ContentType = sse ? "text/event-stream" : "application/json; charset=UTF-8";
        if (!sse)
        {
            // Without alt=sse the service streams one JSON array, element by element.
            await WriteAsync(context, "[" + string.Join(",\r\n", events.Select(e => e.ToJsonString(WireJson.Options))) + "]");
            return;
        }

        for (var i = 0; i < events.Count; i++)
        {
            switch (fault)
            {
                case Fault.TruncatedStreamAfter truncate when i == truncate.AfterChunks:
                    return; // ends cleanly but before the event with the finish reason
                case Fault.MalformedChunk malformed when i == malformed.AfterChunks:
                    await WriteAsync(context, "data: {\"candidates\": [{\"content\": \r\n\r\n");
                    break;
                case Fault.StreamErrorAfter error when i == error.AfterEvents:
                    await WriteAsync(context, "data: " + GeminiErrors.Body(503, "UNAVAILABLE", error.Message) + "\r\n\r\n");
                    return;
                case Fault.StreamGate gated when i == 1:
                    await gated.Gate.Task.WaitAsync(context.RequestAborted);
                    break;
            }

            await WriteAsync(context, "data: " + events[i].ToJsonString(WireJson.Options) + "\r\n\r\n");
        }
    }

    private JsonObject Usage(int prompt, int? candidates)
    {
        var usage = new JsonObject { ["promptTokenCount"] = prompt };
        var total = prompt;
        if (candidates is { } output)
        {
            usage["candidatesTokenCount"] = output;
            total += output;
        }

        if (ThoughtsTokens > 0 && candidates is not null)
        {
            usage["thoughtsTokenCount"] = ThoughtsTokens;
            total += ThoughtsTokens;
        }

        usage["totalTokenCount"] = total;
        usage["promptTokensDetails"] = new JsonArray(new JsonObject { ["modality"] = "TEXT", ["tokenCount"] = prompt });
        return usage;
    }

    private static JsonObject Response(JsonArray parts, string? finishReason, JsonObject usage, string model, string responseId)
    {
        var candidate = new JsonObject { ["content"] = new JsonObject { ["parts"] = parts, ["role"] = "model" } };
        if (finishReason is not null)
        {
            candidate["finishReason"] = finishReason;
        }

        candidate["index"] = 0;
        return new JsonObject
        {
            ["candidates"] = new JsonArray(candidate),
            ["usageMetadata"] = usage,
            ["modelVersion"] = model,
            ["responseId"] = responseId,
        };
    }

    /// <summary>The checks the service makes before it generates, with its messages; null when acceptable.</summary>
    private string? Validate(JsonObject request)
    {
        if (request.Select(p => p.Key).FirstOrDefault(k => !RequestFields.Contains(k)) is { } unknown)
        {
            return $"Invalid JSON payload received. Unknown name \"{unknown}\": Cannot find field.";
        }

        if (request["generationConfig"] is JsonObject config && config.Select(p => p.Key).FirstOrDefault(k => !GenerationFields.Contains(k)) is { } unknownConfig)
        {
            return $"Invalid JSON payload received. Unknown name \"{unknownConfig}\" at 'generation_config': Cannot find field.";
        }

        if (request["contents"] is not JsonArray { Count: > 0 } contents)
        {
            return "* GenerateContentRequest.contents: contents is not specified\n";
        }

        for (var i = 0; i < contents.Count; i++)
        {
            var role = contents[i]?["role"]?.GetValue<string>();
            if (role is not (null or "user" or "model"))
            {
                return "Please use a valid role: user, model.";
            }

            if (contents[i]?["parts"] is not JsonArray { Count: > 0 } parts)
            {
                return $"* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty.\n";
            }

            for (var p = 0; p < parts.Count; p++)
            {
                if (ValidatePart(parts[p] as JsonObject, $"contents[{i}].parts[{p}]", role) is { } partError)
                {
                    return partError;
                }
            }
        }

        if (request["tools"] is JsonArray tools)
        {
            foreach (var declaration in tools.SelectMany(t => t?["functionDeclarations"] as JsonArray ?? []))
            {
                if (declaration?["name"] is null)
                {
                    return "* GenerateContentRequest.tools[0].function_declarations[0].name: Name cannot be empty.\n";
                }

                if (declaration["parameters"] is not null && declaration["parametersJsonSchema"] is not null)
                {
                    return "* GenerateContentRequest.tools[0].function_declarations[0]: parameters and parameters_json_schema cannot both be set.\n";
                }
            }
        }

        var mode = request["toolConfig"]?["functionCallingConfig"]?["mode"]?.GetValue<string>();
        return mode is null or "AUTO" or "ANY" or "NONE" or "VALIDATED" ? null : $"Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), \"{mode}\"";
    }

    private string? ValidatePart(JsonObject? part, string path, string? role)
    {
        if (part is null || part.Count == 0)
        {
            return $"* GenerateContentRequest.{path}.data: required oneof field 'data' must have one initialized field\n";
        }

        if (part.Select(p => p.Key).FirstOrDefault(k => !PartFields.Contains(k)) is { } unknown)
        {
            return $"Invalid JSON payload received. Unknown name \"{unknown}\" at '{path}': Cannot find field.";
        }

        if (part["inlineData"] is JsonObject inline && (inline["mimeType"] is null || inline["data"] is null))
        {
            return $"* GenerateContentRequest.{path}.inline_data: mime_type and data are required.\n";
        }

        if (part["inlineData"]?["data"] is JsonValue data)
        {
            try
            {
                Convert.FromBase64String(data.GetValue<string>());
            }
            catch (FormatException)
            {
                return $"Invalid value at '{path}.inline_data.data' (TYPE_BYTES), Base64 decoding failed";
            }
        }

        if (part["fileData"] is JsonObject file && file["fileUri"] is null)
        {
            return $"* GenerateContentRequest.{path}.file_data.file_uri: file_uri is required.\n";
        }

        if (part["functionCall"] is JsonObject call)
        {
            if (role != "model")
            {
                return "Please ensure that function call turn comes immediately after a user turn or after a function response turn.";
            }

            if (call["args"] is not (null or JsonObject))
            {
                return $"Invalid JSON payload received. Unknown name \"args\" at '{path}.function_call': Proto field is not repeating, cannot start list.";
            }

            if (SignFunctionCalls && (part["thoughtSignature"]?.GetValue<string>() is not { } signature || !_signatures.ContainsKey(signature)))
            {
                return $"Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call `default_api:{call["name"]}` , position 1. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.";
            }
        }

        if (part["functionResponse"] is JsonObject response)
        {
            if (response["name"] is null)
            {
                return $"* GenerateContentRequest.{path}.function_response.name: Name cannot be empty.\n";
            }

            if (response["response"] is not JsonObject)
            {
                return $"Invalid JSON payload received. Unknown name \"response\" at '{path}.function_response': Proto field is not repeating, cannot start list.";
            }
        }

        return null;
    }

    private static async Task EmbedAsync(HttpContext context, JsonObject request, string model)
    {
        if (request["content"]?["parts"] is not JsonArray { Count: > 0 } parts)
        {
            await ErrorAsync(context, 400, GeminiErrors.Body(400, "INVALID_ARGUMENT", "* EmbedContentRequest.content: contents is not specified\n"));
            return;
        }

        var vector = Vector(model, string.Concat(parts.Select(p => p?["text"]?.GetValue<string>())), Dimensions(request));
        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.WriteAsync(new JsonObject { ["embedding"] = new JsonObject { ["values"] = vector } }.ToJsonString(WireJson.Options), context.RequestAborted);
    }

    private static async Task BatchEmbedAsync(HttpContext context, JsonObject request, string model)
    {
        if (request["requests"] is not JsonArray { Count: > 0 } requests)
        {
            await ErrorAsync(context, 400, GeminiErrors.Body(400, "INVALID_ARGUMENT", "* BatchEmbedContentsRequest.requests: requests is not specified\n"));
            return;
        }

        var embeddings = new JsonArray();
        for (var i = 0; i < requests.Count; i++)
        {
            var item = requests[i]!;
            if (item["model"]?.GetValue<string>() != "models/" + model)
            {
                await ErrorAsync(context, 400, GeminiErrors.Body(400, "INVALID_ARGUMENT",
                    $"* BatchEmbedContentsRequest.model: Model names should be the same. The batch model is models/{model} and requests[{i}] model is {item["model"]}.\n"));
                return;
            }

            var text = string.Concat((item["content"]?["parts"] as JsonArray ?? []).Select(p => p?["text"]?.GetValue<string>()));
            embeddings.Add(new JsonObject { ["values"] = Vector(model, text, Dimensions(item.AsObject())) });
        }

        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.WriteAsync(new JsonObject { ["embeddings"] = embeddings }.ToJsonString(WireJson.Options), context.RequestAborted);
    }

    private static int Dimensions(JsonObject request) => request["outputDimensionality"]?.GetValue<int>() ?? EmbeddingDimensions;

    /// <summary>A deterministic vector: tests can compare the gateway's answer with one computed here.</summary>
    public static JsonArray Vector(string model, string text, int dimensions)
    {
        var seed = SHA256.HashData(Encoding.UTF8.GetBytes(model + "\n" + text));
        var values = new JsonArray();
        for (var i = 0; i < dimensions; i++)
        {
            values.Add((seed[i % seed.Length] - 128) / 128f + i % 7 / 1000f);
        }

        return values;
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
