using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Errors;
using Gateway.Providers.Translation;
using Microsoft.AspNetCore.Http;

namespace Gateway.Providers.Mock;

internal sealed partial class MockProvider
{
    private const int DefaultDimensions = 1536;

    private static async Task<GatewayError?> EmbeddingsAsync(HttpContext context, JsonElement request, string model)
    {
        var inputs = new List<string>();
        var input = request.GetProperty("input");
        if (input.ValueKind == JsonValueKind.String)
        {
            inputs.Add(input.GetString()!);
        }
        else
        {
            // An array of strings, of token ids, or of token-id arrays: each item is one input.
            foreach (var item in input.EnumerateArray())
            {
                inputs.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText());
            }
        }

        if (inputs.Count == 0)
        {
            return GatewayErrors.InvalidField("input", "the array is empty; send at least one input");
        }

        var dimensions = DefaultDimensions;
        if (request.TryGetProperty("dimensions", out var requested))
        {
            if (requested.ValueKind != JsonValueKind.Number || !requested.TryGetInt32(out dimensions) || dimensions is < 1 or > 8192)
            {
                return GatewayErrors.InvalidField("dimensions", "expected a whole number from 1 to 8192");
            }
        }

        var base64 = request.TryGetProperty("encoding_format", out var format) && format.ValueEquals("base64"u8);
        var vectors = inputs.Select(text => Vector(text, dimensions)).ToList();
        await OpenAiEmbeddingsWriter.WriteAsync(context.Response, vectors, base64, model, inputs.Sum(MockText.Tokens), context.RequestAborted);
        return null;
    }

    /// <summary>A unit vector seeded by the input's hash: the same text always embeds the same.</summary>
    private static float[] Vector(string input, int dimensions)
    {
        var seed = BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(input)));
        // Deterministic on purpose: this Random is a seeded generator, not a source of security.
#pragma warning disable CA5394
        var random = new Random(seed);
        var vector = new float[dimensions];
        double norm = 0;
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] = (float)(random.NextDouble() * 2 - 1);
            norm += vector[i] * vector[i];
        }
#pragma warning restore CA5394

        var scale = (float)(1 / Math.Sqrt(norm));
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] *= scale;
        }

        return vector;
    }
}
