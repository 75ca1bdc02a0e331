using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Core.Chat;
using Gateway.Errors;
using Gateway.Providers.Translation;

namespace Gateway.Providers.Anthropic;

/// <summary>
/// Anthropic's Messages API as a chat dialect: the request goes to /v1/messages with the provider key in
/// x-api-key and the API version in anthropic-version; the answer and the stream read back in
/// <see cref="AnthropicResponseTranslator"/>. Text, images, tool calls (streamed arguments included), tool results
/// and JSON schemas (structured outputs).
/// </summary>
internal sealed class AnthropicDialect(
    string name,
    Uri messagesUrl,
    string apiKey,
    string version,
    int defaultMaxTokens,
    IReadOnlyDictionary<string, string> headers) : IChatDialect
{
    public const string ProviderType = "anthropic";

    /// <summary>JSON schemas through structured outputs, and one tool call at a time on request; no plain JSON mode, no seed, no penalties.</summary>
    public const ChatFeatures SupportedFeatures = ChatFeatures.JsonSchema | ChatFeatures.SingleToolCall;

    public string Type => ProviderType;

    public ChatFeatures Features => SupportedFeatures;

    public ValueTask<DialectRequest> WriteAsync(ChatRequest request, ProviderCall call)
    {
        var upstream = new HttpRequestMessage(HttpMethod.Post, messagesUrl)
        {
            Content = new ReadOnlyMemoryContent(AnthropicRequestWriter.Write(request, call.Target.Model, call.Endpoint.DefaultMaxTokens ?? defaultMaxTokens)),
        };
        upstream.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        upstream.Headers.TryAddWithoutValidation("x-api-key", apiKey);
        upstream.Headers.TryAddWithoutValidation("anthropic-version", version);
        foreach (var (header, value) in headers)
        {
            upstream.Headers.TryAddWithoutValidation(header, value);
        }

        return ValueTask.FromResult(DialectRequest.Send(upstream));
    }

    /// <summary>Anthropic's error shape: {"type": "error", "error": {"type", "message"}}.</summary>
    public ProviderErrorBody ReadError(JsonElement root, HttpResponseMessage response) =>
        root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
            ? new ProviderErrorBody(error.TryGetProperty("type", out var type) ? type.GetString() : null, error.TryGetProperty("message", out var text) ? text.GetString() : null)
            : new ProviderErrorBody(null, null);

    public Task ReadAnswerAsync(Stream body, IChatAnswerWriter writer, CancellationToken cancellationToken) =>
        AnthropicResponseTranslator.TranslateMessageAsync(body, writer, cancellationToken);

    public Task<GatewayError?> ReadStreamAsync(Stream body, IChatAnswerWriter writer, CancellationToken cancellationToken) =>
        AnthropicResponseTranslator.RelayStreamAsync(body, writer, name, cancellationToken);
}
