using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace FakeProviders.OpenAi;

public sealed partial class FakeOpenAiServer
{
    private static readonly string[] Roles = ["system", "developer", "user", "assistant", "tool", "function"];

    private async Task ChatAsync(HttpContext context, RecordedRequest recorded, Fault? fault)
    {
        if (!TryParse(recorded.Body, out var request, out var error) || !TryModel(context, request!, out var model, out error))
        {
            await WriteJsonAsync(context, error!.Value.Status, error.Value.Body);
            return;
        }

        if (request!["messages"] is not JsonArray messages)
        {
            await WriteJsonAsync(context, 400, OpenAiErrors.MissingParameter("messages"));
            return;
        }

        if (messages.Count == 0)
        {
            await WriteJsonAsync(context, 400, OpenAiErrors.Body("[] is too short - 'messages'", "invalid_request_error", "messages", "empty_array"));
            return;
        }

        for (var i = 0; i < messages.Count; i++)
        {
            var role = messages[i]?["role"]?.GetValue<string>();
            if (role is null || !Roles.Contains(role))
            {
                await WriteJsonAsync(context, 400, OpenAiErrors.Body(
                    $"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.",
                    "invalid_request_error", $"messages[{i}].role", "invalid_value"));
                return;
            }
        }

        var stream = request["stream"]?.GetValue<bool>() == true;
        if (!stream && request["stream_options"] is not null)
        {
            await WriteJsonAsync(context, 400, OpenAiErrors.Body("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "invalid_request_error", "stream_options", "invalid_value"));
            return;
        }

        var promptTokens = 3 + messages.Sum(m => 4 + Tokens(m?["content"]?.ToJsonString() ?? ""));
        var words = Words(ReplyText);
        var id = "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];
        var created = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        if (!stream)
        {
            var response = new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion",
                ["created"] = created,
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = ReplyText, ["refusal"] = null, ["annotations"] = new JsonArray() },
                    ["logprobs"] = null,
                    ["finish_reason"] = "stop",
                }),
                ["usage"] = Usage(promptTokens, words.Count),
                ["service_tier"] = "default",
                ["system_fingerprint"] = "fp_fake0001",
            };
            AddAzureFilterResults(context, response);
            await WriteJsonAsync(context, 200, response.ToJsonString(WireJson.Options));
            return;
        }

        var includeUsage = request["stream_options"]?["include_usage"]?.GetValue<bool>() == true;
        JsonObject Chunk(JsonObject delta, string? finishReason)
        {
            var chunk = new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion.chunk",
                ["created"] = created,
                ["model"] = model,
                ["service_tier"] = "default",
                ["system_fingerprint"] = "fp_fake0001",
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason }),
            };
            if (includeUsage)
            {
                chunk["usage"] = null;
            }

            return chunk;
        }

        var chunks = new List<JsonObject>();
        if (AzureDeploymentModel(context) is not null)
        {
            chunks.Add(AzurePromptFilterChunk());
        }

        chunks.Add(Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "", ["refusal"] = null }, null));
        chunks.AddRange(words.Select(w => Chunk(new JsonObject { ["content"] = w }, null)));
        chunks.Add(Chunk(new JsonObject(), "stop"));
        if (includeUsage)
        {
            chunks.Add(new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion.chunk",
                ["created"] = created,
                ["model"] = model,
                ["service_tier"] = "default",
                ["system_fingerprint"] = "fp_fake0001",
                ["choices"] = new JsonArray(),
                ["usage"] = Usage(promptTokens, words.Count),
            });
        }

        await StreamAsync(context, chunks, fault);
    }

    /// <summary>Writes chunks as SSE events, flushing each, applying any stream fault.</summary>
    private static async Task StreamAsync(HttpContext context, List<JsonObject> chunks, Fault? fault)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        for (var i = 0; i < chunks.Count; i++)
        {
            switch (fault)
            {
                case Fault.TruncatedStreamAfter truncate when i == truncate.AfterChunks:
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    context.Abort();
                    return;
                case Fault.MalformedChunk malformed when i == malformed.AfterChunks:
                    await WriteEventAsync(context, "{\"id\": \"chatcmpl-broken\", \"choices\": [");
                    break;
                case Fault.StreamGate gated when i == 2:
                    await gated.Gate.Task.WaitAsync(context.RequestAborted);
                    break;
            }

            await WriteEventAsync(context, chunks[i].ToJsonString(WireJson.Options));
        }

        await WriteEventAsync(context, "[DONE]");
    }

    private static async Task WriteEventAsync(HttpContext context, string data)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes($"data: {data}\n\n"), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static bool TryParse(string body, out JsonObject? request, out (int Status, string Body)? error)
    {
        error = null;
        request = null;
        try
        {
            request = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            // Falls through to OpenAI's invalid-body answer below.
        }

        if (request is null)
        {
            error = (400, OpenAiErrors.Body(
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
                "invalid_request_error"));
            return false;
        }

        return true;
    }

    private bool TryModel(HttpContext context, JsonObject request, out string model, out (int Status, string Body)? error)
    {
        error = null;
        if (AzureDeploymentModel(context) is { } deployed)
        {
            // Azure OpenAI answers with the deployment's model and ignores "model" in the body.
            model = deployed;
            return true;
        }

        model = request["model"]?.GetValue<string>() ?? "";
        if (model.Length == 0)
        {
            error = (400, OpenAiErrors.Body("you must provide a model parameter", "invalid_request_error"));
            return false;
        }

        if (!Models.Contains(model))
        {
            error = (404, OpenAiErrors.ModelNotFound(model));
            return false;
        }

        return true;
    }

    private static JsonObject Usage(int prompt, int completion) => new()
    {
        ["prompt_tokens"] = prompt,
        ["completion_tokens"] = completion,
        ["total_tokens"] = prompt + completion,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = 0, ["audio_tokens"] = 0 },
        ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0, ["audio_tokens"] = 0, ["accepted_prediction_tokens"] = 0, ["rejected_prediction_tokens"] = 0 },
    };

    private static int Tokens(string text) => Math.Max(1, (Encoding.UTF8.GetByteCount(text) + 3) / 4);

    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var start = 0;
        for (var i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ' ')
            {
                words.Add(text[start..i]);
                start = i;
            }
        }

        return words;
    }
}
