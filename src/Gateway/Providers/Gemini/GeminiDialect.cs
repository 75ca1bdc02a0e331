using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Core.Chat;
using Gateway.Errors;
using Gateway.Providers.Translation;

namespace Gateway.Providers.Gemini;

/// <summary>
/// Google's Gemini API as a chat dialect: chat goes to generateContent, or to streamGenerateContent?alt=sse whose
/// events <see cref="GeminiResponseTranslator"/> reads one by one; the provider key in x-goog-api-key. Its
/// embeddings (batchEmbedContents) are <see cref="GeminiEmbeddings"/>.
/// </summary>
internal sealed class GeminiDialect(string name, Uri modelsUrl, string apiKey, IReadOnlyDictionary<string, string> headers) : IChatDialect
{
    public const string ProviderType = "gemini";

    public string Type => ProviderType;

    public ChatFeatures Features => ChatFeatures.Seed | ChatFeatures.Penalties | ChatFeatures.JsonObject | ChatFeatures.JsonSchema;

    public ValueTask<DialectRequest> WriteAsync(ChatRequest request, ProviderCall call)
    {
        if (GeminiRequestWriter.TryWrite(request, out var body) is { } unwritable)
        {
            return ValueTask.FromResult(DialectRequest.Refuse(unwritable));
        }

        var url = MethodUrl(call.Target.Model, request.Stream ? "streamGenerateContent?alt=sse" : "generateContent");
        return ValueTask.FromResult(DialectRequest.Send(Request(url, body)));
    }

    public Task ReadAnswerAsync(Stream body, IChatAnswerWriter writer, CancellationToken cancellationToken) =>
        GeminiResponseTranslator.TranslateAsync(body, writer, cancellationToken);

    public Task<GatewayError?> ReadStreamAsync(Stream body, IChatAnswerWriter writer, CancellationToken cancellationToken) =>
        GeminiResponseTranslator.RelayStreamAsync(body, writer, name, cancellationToken);

    /// <summary>models/{model}:{method}; built as text because a relative "name:method" would read as a URI scheme.</summary>
    internal Uri MethodUrl(string model, string method) => new(modelsUrl.AbsoluteUri + Uri.EscapeDataString(model) + ":" + method);

    internal HttpRequestMessage Request(Uri url, ReadOnlyMemory<byte> body)
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
    public ProviderErrorBody ReadError(JsonElement root, HttpResponseMessage response)
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
