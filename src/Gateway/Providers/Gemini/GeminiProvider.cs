using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Core;
using Gateway.Errors;
using Gateway.Providers.Translation;
using Microsoft.Extensions.Logging;

namespace Gateway.Providers.Gemini;

/// <summary>
/// Google's Gemini API behind OpenAI's chat completions and embeddings: chat goes to generateContent (or
/// streamGenerateContent?alt=sse, translated event by event), embeddings to batchEmbedContents.
/// </summary>
internal sealed class GeminiProvider(
    string name,
    Uri modelsUrl,
    string apiKey,
    IReadOnlyDictionary<string, string> headers,
    HttpMessageInvoker invoker,
    TimeProvider time,
    ILogger logger) : IProvider
{
    public const string Type = "gemini";

    private const ChatFeatures Features = ChatFeatures.Seed | ChatFeatures.Penalties | ChatFeatures.JsonObject | ChatFeatures.JsonSchema;

    private readonly TranslatedExchange _exchange = new(name, Type, apiKey, invoker, logger);

    public Task<AttemptResult> SendAsync(ProviderCall call) => call.Kind switch
    {
        EndpointKind.Chat => ChatAsync(call),
        EndpointKind.Embeddings => EmbeddingsAsync(call),
        _ => Task.FromResult(AttemptResult.Refused(GatewayErrors.UnsupportedParameter(InferencePaths.Prefix + EndpointKinds.Operation(call.Kind), name, Type))),
    };

    private async Task<AttemptResult> ChatAsync(ProviderCall call)
    {
        var context = call.HttpContext;
        var drop = call.Endpoint.DropUnsupportedParams;
        if (OpenAiChatReader.TryRead(call.Body.Memory, new ChatTarget(name, Type, Features, drop), out var request) is { } invalid)
        {
            return AttemptResult.Refused(invalid);
        }

        if (request!.ParallelToolCalls == false && request.Tools.Count > 0 && !drop)
        {
            // Gemini may call several functions at once and has no switch to stop it.
            return AttemptResult.Refused(GatewayErrors.UnsupportedParameter("parallel_tool_calls (false)", name, Type));
        }

        if (GeminiRequestWriter.TryWrite(request, out var body) is { } unwritable)
        {
            return AttemptResult.Refused(unwritable);
        }

        var model = call.Target.Model;
        var url = MethodUrl(model, request.Stream ? "streamGenerateContent?alt=sse" : "generateContent");
        using var upstream = Request(url, body);
        var writer = new OpenAiChatWriter(context.Response, call.Relay, "chatcmpl-" + Guid.NewGuid().ToString("N")[..24], model, time.GetUtcNow().ToUnixTimeSeconds());
        return await _exchange.RunAsync(call, upstream, writer, ReadError, async (answer, cancellationToken) =>
        {
            if (request.Stream)
            {
                return await GeminiResponseTranslator.RelayStreamAsync(answer, writer, name, request.IncludeUsage || call.Request.UsageForTrace, cancellationToken);
            }

            await GeminiResponseTranslator.TranslateAsync(answer, writer, cancellationToken);
            return null;
        });
    }

    private async Task<AttemptResult> EmbeddingsAsync(ProviderCall call)
    {
        var context = call.HttpContext;
        if (OpenAiEmbeddingsRequest.TryRead(call.Body.Memory, name, Type, out var request) is { } invalid)
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

        using var upstream = Request(MethodUrl(model, "batchEmbedContents"), buffer.WrittenMemory);
        return await _exchange.RunAsync(call, upstream, null, ReadError, async (answer, reading) =>
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

    /// <summary>models/{model}:{method}; built as text because a relative "name:method" would read as a URI scheme.</summary>
    private Uri MethodUrl(string model, string method) => new(modelsUrl.AbsoluteUri + Uri.EscapeDataString(model) + ":" + method);

    private HttpRequestMessage Request(Uri url, ReadOnlyMemory<byte> body)
    {
        var upstream = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ReadOnlyMemoryContent(body) };
        upstream.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        upstream.Headers.TryAddWithoutValidation("x-goog-api-key", apiKey);
        foreach (var (header, value) in headers)
        {
            upstream.Headers.TryAddWithoutValidation(header, value);
        }

        return upstream;
    }

    /// <summary>
    /// Google's error shape: {"error": {"code", "message", "status", "details"}}. A bad key is a 400 with reason
    /// API_KEY_INVALID; a 429 says how long to wait in a RetryInfo detail rather than in Retry-After.
    /// </summary>
    private static ProviderErrorBody ReadError(JsonElement root, HttpResponseMessage response)
    {
        if (!root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
        {
            return new ProviderErrorBody(null, null);
        }

        string? retryAfter = null;
        var keyRejected = false;
        if (error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
        {
            foreach (var detail in details.EnumerateArray())
            {
                if (detail.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String
                    && reason.GetString() is "API_KEY_INVALID" or "API_KEY_SERVICE_BLOCKED" or "API_KEY_HTTP_REFERRER_BLOCKED")
                {
                    keyRejected = true;
                }

                // RetryInfo's retryDelay is a protobuf Duration in JSON: seconds with an "s", such as "27s" or "1.5s".
                if (detail.TryGetProperty("retryDelay", out var delay) && delay.ValueKind == JsonValueKind.String
                    && delay.GetString() is { Length: > 1 } text && text.EndsWith('s')
                    && double.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
                {
                    retryAfter = ((long)Math.Ceiling(seconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        var status = error.TryGetProperty("status", out var statusElement) && statusElement.ValueKind == JsonValueKind.String ? statusElement.GetString()!.ToLowerInvariant() : null;
        return new ProviderErrorBody(status, error.TryGetProperty("message", out var message) ? message.GetString() : null, retryAfter, keyRejected);
    }

    /// <summary>An id for a function call Gemini gave none: OpenAI clients answer calls by id.</summary>
    internal static string NewCallId() => "call_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}
