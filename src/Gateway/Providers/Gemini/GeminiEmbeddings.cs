using System.Text.Json;
using Gateway.Errors;
using Gateway.Providers.Translation;

namespace Gateway.Providers.Gemini;

/// <summary>OpenAI's embeddings on Gemini: every input in one batchEmbedContents call, the vectors back in OpenAI's shape.</summary>
internal sealed class GeminiEmbeddings(string name, GeminiDialect dialect, TranslatedExchange exchange)
{
    public async Task<AttemptResult> SendAsync(ProviderCall call)
    {
        var context = call.HttpContext;
        if (OpenAiEmbeddingsRequest.TryRead(call.Body.Memory, name, GeminiDialect.ProviderType, out var request) is { } invalid)
        {
            return AttemptResult.Refused(invalid);
        }

        var model = call.Target.Model;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, GatewayJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartArray("requests");
            foreach (var input in request!.Inputs)
            {
                json.WriteStartObject();
                json.WriteString("model", "models/" + model);
                json.WriteStartObject("content");
                json.WriteStartArray("parts");
                json.WriteStartObject();
                json.WriteString("text", input);
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
                if (request.Dimensions is { } dimensions)
                {
                    json.WriteNumber("outputDimensionality", dimensions);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        using var upstream = dialect.Request(dialect.MethodUrl(model, "batchEmbedContents"), buffer.WrittenMemory);
        return await exchange.RunAsync(call, upstream, null, dialect.ReadError, async (answer, reading) =>
        {
            using var document = await JsonDocument.ParseAsync(answer, cancellationToken: reading);
            var vectors = new List<float[]>();
            foreach (var embedding in document.RootElement.GetProperty("embeddings").EnumerateArray())
            {
                var values = embedding.GetProperty("values");
                var vector = new float[values.GetArrayLength()];
                var i = 0;
                foreach (var value in values.EnumerateArray())
                {
                    vector[i++] = value.GetSingle();
                }

                vectors.Add(vector);
            }

            if (vectors.Count != request.Inputs.Count)
            {
                throw new InvalidOperationException($"batchEmbedContents returned {vectors.Count} embeddings for {request.Inputs.Count} inputs");
            }

            // The Gemini API reports no token count for embeddings unless a newer version adds usageMetadata.
            var tokens = document.RootElement.TryGetProperty("usageMetadata", out var usage) && usage.TryGetProperty("promptTokenCount", out var count)
                ? count.GetInt32()
                : 0;
            await OpenAiEmbeddingsWriter.WriteAsync(context.Response, vectors, request.Base64, model, tokens, reading);
            return null;
        });
    }
}
