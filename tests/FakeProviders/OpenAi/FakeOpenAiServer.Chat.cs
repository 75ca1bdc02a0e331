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

        if (ValidateToolMessages(messages) is { } toolError)
        {
            await WriteJsonAsync(context, 400, toolError);
            return;
        }

        var format = request["response_format"]?["type"]?.GetValue<string>();
        if (format == "json_object" && !messages.Any(m => m?["content"]?.ToJsonString().Contains("json", StringComparison.OrdinalIgnoreCase) == true))
        {
            await WriteJsonAsync(context, 400, OpenAiErrors.Body("'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", "invalid_request_error", "messages"));
            return;
        }

        var stream = request["stream"]?.GetValue<bool>() == true;
        if (!stream && request["stream_options"] is not null)
        {
            await WriteJsonAsync(context, 400, OpenAiErrors.Body("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "invalid_request_error", "stream_options", "invalid_value"));
            return;
        }

        var promptTokens = 3 + messages.Sum(m => 4 + Tokens(m?["content"]?.ToJsonString() ?? ""));
        var reply = format is "json_object" or "json_schema" ? "{\"answer\": \"fake\"}" : ReplyText;
        var words = Words(reply);
        var calls = new List<(string Id, string Name, string Arguments)>();
        if (request["tools"] is JsonArray { Count: > 0 })
        {
            while (ToolCalls.TryDequeue(out var call))
            {
                calls.Add(("call_" + Guid.NewGuid().ToString("N")[..24], call.Name, call.ArgumentsJson));
            }
        }

        var finishReason = calls.Count > 0 ? "tool_calls" : "stop";
        var completionTokens = calls.Count > 0 ? calls.Sum(c => 10 + Tokens(c.Arguments)) : words.Count;
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
                    ["message"] = Message(calls.Count > 0 ? null : reply, calls),
                    ["logprobs"] = null,
                    ["finish_reason"] = finishReason,
                }),
                ["usage"] = Usage(promptTokens, completionTokens),
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
        if (calls.Count == 0)
        {
            chunks.AddRange(words.Select(w => Chunk(new JsonObject { ["content"] = w }, null)));
        }

        // OpenAI streams each tool call as a first chunk with its id and name, then argument fragments.
        for (var c = 0; c < calls.Count; c++)
        {
            chunks.Add(Chunk(ToolCallDelta(c, calls[c].Id, calls[c].Name, ""), null));
            for (var at = 0; at < calls[c].Arguments.Length; at += 5)
            {
                chunks.Add(Chunk(ToolCallDelta(c, null, null, calls[c].Arguments.Substring(at, Math.Min(5, calls[c].Arguments.Length - at))), null));
            }
        }

        chunks.Add(Chunk(new JsonObject(), finishReason));
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
                ["usage"] = Usage(promptTokens, completionTokens),
            });
        }

        await StreamAsync(context, chunks, fault);
    }

    private static JsonObject Message(string? content, List<(string Id, string Name, string Arguments)> calls)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = content, ["refusal"] = null, ["annotations"] = new JsonArray() };
        if (calls.Count > 0)
        {
            message["tool_calls"] = new JsonArray([.. calls.Select(c => (JsonNode)new JsonObject
            {
                ["id"] = c.Id,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments },
            })]);
        }

        return message;
    }

    private static JsonObject ToolCallDelta(int index, string? id, string? name, string arguments)
    {
        var call = new JsonObject { ["index"] = index };
        if (id is not null)
        {
            call["id"] = id;
            call["type"] = "function";
        }

        var function = new JsonObject();
        if (name is not null)
        {
            function["name"] = name;
        }

        function["arguments"] = arguments;
        call["function"] = function;
        return new JsonObject { ["tool_calls"] = new JsonArray(call) };
    }

    /// <summary>OpenAI's rule: a tool message answers a tool call of the assistant message before it.</summary>
    private static string? ValidateToolMessages(JsonArray messages)
    {
        var open = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < messages.Count; i++)
        {
            var role = messages[i]!["role"]!.GetValue<string>();
            if (role == "assistant")
            {
                open = [.. (messages[i]!["tool_calls"] as JsonArray ?? []).Select(c => c?["id"]?.GetValue<string>() ?? "")];
            }
            else if (role == "tool" && !open.Contains(messages[i]!["tool_call_id"]?.GetValue<string>() ?? ""))
            {
                return OpenAiErrors.Body("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", "invalid_request_error", $"messages.[{i}].role");
            }
            else if (role != "tool")
            {
                open.Clear();
            }
        }

        return null;
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
                    // Ends the response early but cleanly, with no [DONE]. (Aborting instead would race: a reset can
                    // reach the gateway before the chunks flushed ahead of it, which then never arrive.)
                    return;
                case Fault.MalformedChunk malformed when i == malformed.AfterChunks:
                    await WriteEventAsync(context, "{\"id\": \"chatcmpl-broken\", \"choices\": [");
                    break;
                case Fault.StreamGate gated when i == 2:
                    await gated.Gate.Task.WaitAsync(context.RequestAborted);
                    break;
                case Fault.KeepAliveBetween keepAlive when i == 1:
                    await keepAlive.Before.Task.WaitAsync(context.RequestAborted);
                    await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes($": {keepAlive.Text}\n\n"), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await keepAlive.After.Task.WaitAsync(context.RequestAborted);
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

    private JsonObject Usage(int prompt, int completion) => new()
    {
        ["prompt_tokens"] = prompt,
        ["completion_tokens"] = completion,
        ["total_tokens"] = prompt + completion,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = Math.Min(CachedTokens, prompt), ["audio_tokens"] = 0 },
        ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = Math.Min(ReasoningTokens, completion), ["audio_tokens"] = 0, ["accepted_prediction_tokens"] = 0, ["rejected_prediction_tokens"] = 0 },
    };

    private static int Tokens(string text) => Math.Max(1, (Encoding.UTF8.GetByteCount(text) + 3) / 4);

    private List<string> Words(string text)
    {
        if (ReplyChunkChars is { } size)
        {
            return [.. text.Chunk(size).Select(piece => new string(piece))];
        }

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
