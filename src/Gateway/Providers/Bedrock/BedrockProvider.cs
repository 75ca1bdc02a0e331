using System.Net.Http.Headers;
using System.Text.Json;
using Amazon.Runtime;
using Gateway.Core;
using Gateway.Errors;
using Gateway.Providers.Translation;
using Microsoft.Extensions.Logging;

namespace Gateway.Providers.Bedrock;

/// <summary>
/// Amazon Bedrock's Converse API behind OpenAI's chat completions: requests go to /model/{id}/converse (or
/// converse-stream, whose binary event stream is translated message by message), signed with AWS Signature V4
/// or sent with a Bedrock API key.
/// </summary>
internal sealed class BedrockProvider(
    string name,
    Uri runtimeUrl,
    BedrockSigner signer,
    IReadOnlyDictionary<string, string> headers,
    HttpMessageInvoker invoker,
    TimeProvider time,
    ILogger logger) : IProvider
{
    public const string Type = "bedrock";

    private readonly TranslatedExchange _exchange = new(name, Type, signer.Secret, invoker, logger);

    public async Task<AttemptResult> SendAsync(ProviderCall call)
    {
        var context = call.HttpContext;
        if (call.Kind != EndpointKind.Chat)
        {
            return AttemptResult.Refused(GatewayErrors.UnsupportedParameter(InferencePaths.Prefix + EndpointKinds.Operation(call.Kind), name, Type));
        }

        var drop = call.Endpoint.DropUnsupportedParams;
        if (OpenAiChatReader.TryRead(call.Body.Memory, new ChatTarget(name, Type, ChatFeatures.None, drop), out var request) is { } invalid)
        {
            return AttemptResult.Refused(invalid);
        }

        if (request!.ParallelToolCalls == false && request.Tools.Count > 0 && !drop)
        {
            // Converse has no model-independent switch for it.
            return AttemptResult.Refused(GatewayErrors.UnsupportedParameter("parallel_tool_calls (false)", name, Type));
        }

        if (ConverseRequestWriter.TryWrite(request, name, out var body) is { } unwritable)
        {
            return AttemptResult.Refused(unwritable);
        }

        var model = call.Target.Model;
        // Model ids hold ':' and inference-profile ARNs '/': both are escaped into one path segment, as AWS's SDKs do.
        var url = new Uri(runtimeUrl.AbsoluteUri + "model/" + Uri.EscapeDataString(model) + (request.Stream ? "/converse-stream" : "/converse"));
        using var upstream = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        upstream.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (header, value) in headers)
        {
            upstream.Headers.TryAddWithoutValidation(header, value);
        }

        try
        {
            await signer.SignAsync(upstream, body, context.RequestAborted);
        }
        catch (AmazonClientException ex)
        {
            return AttemptResult.Failed(GatewayErrors.UpstreamCredentialsUnavailable(name, ex.Message));
        }

        var writer = new OpenAiChatWriter(context.Response, call.Relay, "chatcmpl-" + Guid.NewGuid().ToString("N")[..24], model, time.GetUtcNow().ToUnixTimeSeconds());
        return await _exchange.RunAsync(call, upstream, writer, ReadError, async (answer, cancellationToken) =>
        {
            if (request.Stream)
            {
                return await ConverseResponseTranslator.RelayStreamAsync(answer, writer, name, request.IncludeUsage || call.Request.UsageForTrace, cancellationToken);
            }

            await ConverseResponseTranslator.TranslateAsync(answer, writer, cancellationToken);
            return null;
        });
    }

    /// <summary>AWS's JSON errors: {"message": …} with the error's type in the x-amzn-ErrorType header ("ThrottlingException:http://…").</summary>
    private static ProviderErrorBody ReadError(JsonElement root, HttpResponseMessage response)
    {
        var type = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.First().Split(':')[0]
            : root.TryGetProperty("__type", out var typeField) ? typeField.GetString()?.Split('#')[^1]
            : null;
        var message = root.TryGetProperty("message", out var text) || root.TryGetProperty("Message", out text) ? text.GetString() : null;
        return new ProviderErrorBody(type is null ? null : ErrorCode(type), message);
    }

    /// <summary>ThrottlingException → throttling_exception: AWS's error names as OpenAI-style codes.</summary>
    internal static string ErrorCode(string awsType) => JsonNamingPolicy.SnakeCaseLower.ConvertName(awsType);
}
