using System.Runtime.InteropServices;
using System.Text.Json;
using Gateway.Errors;
using Microsoft.AspNetCore.Http;

namespace Gateway.Providers.Translation;

/// <summary>An OpenAI embeddings request in the terms translated providers need: the texts, and how the answer is wanted.</summary>
internal sealed record OpenAiEmbeddingsRequest(IReadOnlyList<string> Inputs, int? Dimensions, bool Base64)
{
    public static GatewayError? TryRead(ReadOnlyMemory<byte> body, string provider, string providerType, out OpenAiEmbeddingsRequest? request)
    {
        request = null;
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var inputs = new List<string>();
        var input = root.GetProperty("input");
        if (input.ValueKind == JsonValueKind.String)
        {
            inputs.Add(input.GetString()!);
        }
        else if (input.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in input.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    // Token ids are in OpenAI's own tokenizer; no other provider can read them.
                    return GatewayErrors.UnsupportedParameter("input (token ids)", provider, providerType);
                }

                inputs.Add(item.GetString()!);
            }
        }

        if (inputs.Count == 0)
        {
            return GatewayErrors.InvalidField("input", "expected a string or a non-empty array of strings");
        }

        int? dimensions = null;
        if (root.TryGetProperty("dimensions", out var requested) && requested.ValueKind != JsonValueKind.Null)
        {
            if (!requested.TryGetInt32(out var value) || value < 1)
            {
                return GatewayErrors.InvalidField("dimensions", "expected a positive whole number");
            }

            dimensions = value;
        }

        var base64 = false;
        if (root.TryGetProperty("encoding_format", out var format) && format.ValueKind != JsonValueKind.Null)
        {
            if (!format.ValueEquals("float"u8) && !format.ValueEquals("base64"u8))
            {
                return GatewayErrors.InvalidField("encoding_format", "expected float or base64");
            }

            base64 = format.ValueEquals("base64"u8);
        }

        request = new OpenAiEmbeddingsRequest(inputs, dimensions, base64);
        return null;
    }
}

/// <summary>Writes vectors as OpenAI's embeddings list, as floats or in OpenAI's base64 form.</summary>
internal static class OpenAiEmbeddingsWriter
{
    public static async Task WriteAsync(HttpResponse response, IReadOnlyList<float[]> vectors, bool base64, string model, int promptTokens, CancellationToken cancellationToken)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(response.BodyWriter, GatewayJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            for (var i = 0; i < vectors.Count; i++)
            {
                json.WriteStartObject();
                json.WriteString("object", "embedding");
                json.WriteNumber("index", i);
                if (base64)
                {
                    // OpenAI's base64 format: the little-endian float32 array, base64-encoded.
                    json.WriteBase64String("embedding", MemoryMarshal.AsBytes(vectors[i].AsSpan()));
                }
                else
                {
                    json.WriteStartArray("embedding");
                    foreach (var value in vectors[i])
                    {
                        json.WriteNumberValue(value);
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("model", model);
            json.WriteStartObject("usage");
            json.WriteNumber("prompt_tokens", promptTokens);
            json.WriteNumber("total_tokens", promptTokens);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(cancellationToken);
    }
}
