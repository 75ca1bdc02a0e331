using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace FakeProviders.OpenAi;

public sealed partial class FakeOpenAiServer
{
    private async Task CompletionsAsync(HttpContext context, RecordedRequest recorded, Fault? fault)
    {
        if (!TryParse(recorded.Body, out var request, out var error) || !TryModel(context, request!, out var model, out error))
        {
            await WriteJsonAsync(context, error!.Value.Status, error.Value.Body);
            return;
        }

        if (request!["prompt"] is null)
        {
            await WriteJsonAsync(context, 400, OpenAiErrors.MissingParameter("prompt"));
            return;
        }

        var id = "cmpl-" + Guid.NewGuid().ToString("N")[..24];
        var created = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var words = Words(ReplyText);
        JsonObject Completion(string text, string? finish) => new()
        {
            ["id"] = id,
            ["object"] = "text_completion",
            ["created"] = created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["text"] = text, ["index"] = 0, ["logprobs"] = null, ["finish_reason"] = finish }),
        };

        if (request["stream"]?.GetValue<bool>() != true)
        {
            var response = Completion(ReplyText, "stop");
            response["usage"] = Usage(Tokens(request["prompt"]!.ToJsonString()), words.Count);
            await WriteJsonAsync(context, 200, response.ToJsonString(WireJson.Options));
            return;
        }

        var chunks = words.Select((w, i) => Completion(w, i == words.Count - 1 ? "stop" : null)).ToList();
        await StreamAsync(context, chunks, fault);
    }

    private async Task EmbeddingsAsync(HttpContext context, RecordedRequest recorded, Fault? fault)
    {
        if (!TryParse(recorded.Body, out var request, out var error) || !TryModel(context, request!, out var model, out error))
        {
            await WriteJsonAsync(context, error!.Value.Status, error.Value.Body);
            return;
        }

        var inputs = request!["input"] switch
        {
            JsonValue value => [value.ToJsonString()],
            JsonArray array => array.Select(i => i?.ToJsonString() ?? "").ToList(),
            _ => null,
        };
        if (inputs is null)
        {
            await WriteJsonAsync(context, 400, OpenAiErrors.MissingParameter("input"));
            return;
        }

        var dimensions = request["dimensions"]?.GetValue<int>() ?? 1536;
        var base64 = request["encoding_format"]?.GetValue<string>() == "base64";
        var data = new JsonArray();
        for (var i = 0; i < inputs.Count; i++)
        {
            var vector = new float[dimensions];
            for (var d = 0; d < dimensions; d++)
            {
                vector[d] = (float)Math.Sin(i + d + inputs[i].Length);
            }

            data.Add(new JsonObject
            {
                ["object"] = "embedding",
                ["index"] = i,
                ["embedding"] = base64 ? Convert.ToBase64String(MemoryMarshal.AsBytes(vector.AsSpan())) : new JsonArray(vector.Select(v => (JsonNode)v).ToArray()),
            });
        }

        var tokens = inputs.Sum(Tokens);
        var response = new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = model,
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        };
        await WriteJsonAsync(context, 200, response.ToJsonString(WireJson.Options));
    }

    private Task ModelsAsync(HttpContext context, RecordedRequest recorded, Fault? fault)
    {
        var data = new JsonArray(Models.Order().Select(m => (JsonNode)new JsonObject { ["id"] = m, ["object"] = "model", ["created"] = 1686935002, ["owned_by"] = "system" }).ToArray());
        return WriteJsonAsync(context, 200, new JsonObject { ["object"] = "list", ["data"] = data }.ToJsonString(WireJson.Options));
    }
}
