using System.Security.Cryptography;
using System.Text.Json.Nodes;
using FakeProviders.OpenAi;
using Microsoft.AspNetCore.Http;

namespace FakeProviders.Gemini;

public sealed partial class FakeGeminiServer
{
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
}
