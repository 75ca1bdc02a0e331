using System.Text.Json;
using Gateway.Core.Chat;

namespace Gateway.Providers.Translation;

/// <summary>
/// One provider API's chat, as <see cref="TranslatedProvider"/> needs it: how a neutral <see cref="ChatRequest"/> is
/// sent (URL, body, headers, credentials), how its errors read, and how its answer and its stream read back into an
/// <see cref="IChatAnswerWriter"/>. Everything else about a call (timeouts, failures, the stream's relay, what may
/// be retried) is the same for every provider and lives in the provider and <see cref="TranslatedExchange"/>.
/// </summary>
internal interface IChatDialect
{
    /// <summary>The provider type in gateway.yaml (anthropic, gemini, bedrock).</summary>
    string Type { get; }

    /// <summary>What the API honours beyond the basics; the request reader refuses (or drops) the rest.</summary>
    ChatFeatures Features { get; }

    /// <summary>The upstream request for one chat attempt, or why it cannot be made (a 400 for what the API cannot express, a failure for missing credentials).</summary>
    ValueTask<DialectRequest> WriteAsync(ChatRequest request, ProviderCall call);

    /// <summary>What a provider's error body says (status other than 2xx; 401 and 403 are read before this).</summary>
    ProviderErrorBody ReadError(JsonElement root, HttpResponseMessage response);

    /// <summary>A whole answer into the writer.</summary>
    Task ReadAnswerAsync(Stream body, IChatAnswerWriter writer, CancellationToken cancellationToken);

    /// <summary>A stream into the writer, piece by piece as it arrives; the error it had to end the stream with, if any.</summary>
    Task<Errors.GatewayError?> ReadStreamAsync(Stream body, IChatAnswerWriter writer, CancellationToken cancellationToken);
}

/// <summary>An upstream request to send, or the attempt's result without one.</summary>
internal readonly record struct DialectRequest(HttpRequestMessage? Message, AttemptResult? Unsent)
{
    public static DialectRequest Send(HttpRequestMessage message) => new(message, null);

    public static DialectRequest Refuse(Errors.GatewayError error) => new(null, AttemptResult.Refused(error));

    public static DialectRequest Fail(Errors.GatewayError error) => new(null, AttemptResult.Failed(error));
}
