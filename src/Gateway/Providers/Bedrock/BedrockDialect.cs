using System.Net.Http.Headers;
using System.Text.Json;
using Amazon.Runtime;
using Gateway.Core.Chat;
using Gateway.Errors;
using Gateway.Providers.Translation;

namespace Gateway.Providers.Bedrock;

/// <summary>
/// Amazon Bedrock's Converse API as a chat dialect: requests go to /model/{id}/converse (or converse-stream, whose
/// binary event stream <see cref="ConverseResponseTranslator"/> reads message by message), signed with AWS
/// Signature V4 or sent with a Bedrock API key.
/// </summary>
internal sealed class BedrockDialect(string name, Uri runtimeUrl, BedrockSigner signer, IReadOnlyDictionary<string, string> headers) : IChatDialect
{
    public const string ProviderType = "bedrock";

    public string Type => ProviderType;

    public ChatFeatures Features => ChatFeatures.None;

    public async ValueTask<DialectRequest> WriteAsync(ChatRequest request, ProviderCall call)
    {
        if (ConverseRequestWriter.TryWrite(request, name, out var body) is { } unwritable)
        {
            return DialectRequest.Refuse(unwritable);
        }

        // Model ids hold ':' and inference-profile ARNs '/': both are escaped into one path segment, as AWS's SDKs do.
        var url = new Uri(runtimeUrl.AbsoluteUri + "model/" + Uri.EscapeDataString(call.Target.Model) + (request.Stream ? "/converse-stream" : "/converse"));
        var upstream = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        upstream.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (header, value) in headers)
        {
            upstream.Headers.TryAddWithoutValidation(header, value);
        }

        try
        {
            await signer.SignAsync(upstream, body, call.HttpContext.RequestAborted);
        }
        catch (AmazonClientException ex)
        {
            upstream.Dispose();
            return DialectRequest.Fail(GatewayErrors.UpstreamCredentialsUnavailable(name, ex.Message));
        }
        catch
        {
            upstream.Dispose(); // the caller left mid-signing, or a bug: nobody else owns the message yet
            throw;
        }

        return DialectRequest.Send(upstream);
    }

    /// <summary>AWS's JSON errors: {"message": …} with the error's type in the x-amzn-ErrorType header ("ThrottlingException:http://…").</summary>
    public ProviderErrorBody ReadError(JsonElement root, HttpResponseMessage response)
    {
        var type = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.First().Split(':')[0]
            : root.TryGetProperty("__type", out var typeField) ? typeField.GetString()?.Split('#')[^1]
            : null;
        var message = root.TryGetProperty("message", out var text) || root.TryGetProperty("Message", out text) ? text.GetString() : null;
        return new ProviderErrorBody(type is null ? null : ErrorCode(type), message);
    }

    public Task ReadAnswerAsync(Stream body, IChatAnswerWriter writer, CancellationToken cancellationToken) =>
        ConverseResponseTranslator.TranslateAsync(body, writer, cancellationToken);

    public Task<GatewayError?> ReadStreamAsync(Stream body, IChatAnswerWriter writer, CancellationToken cancellationToken) =>
        ConverseResponseTranslator.RelayStreamAsync(body, writer, name, cancellationToken);

    /// <summary>ThrottlingException → throttling_exception: AWS's error names as OpenAI-style codes.</summary>
    internal static string ErrorCode(string awsType) => JsonNamingPolicy.SnakeCaseLower.ConvertName(awsType);
}
