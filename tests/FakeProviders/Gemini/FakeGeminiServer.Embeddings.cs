using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace FakeProviders.Gemini;

public sealed partial class FakeGeminiServer
{
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
}
