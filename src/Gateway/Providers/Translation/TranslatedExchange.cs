using System.Text;
using System.Text.Json;
using Gateway.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Providers.Translation;

/// <summary>
/// One call to a translated provider, shared by every such provider: sends the translated request, bounds each
/// wait by the endpoint timeout, hands a success to the provider's translation and turns every way the call can
/// fail (unreachable, timeout, an error answer, an answer that breaks off) into the client's OpenAI-shaped error.
/// </summary>
internal sealed class TranslatedExchange(string name, string type, string apiKey, HttpMessageInvoker invoker, ILogger logger)
{
    private const int MaxErrorBodyBytes = 64 * 1024;

    /// <summary>The answer's translation: the upstream body, a callback to restart the timeout whenever the provider is heard from, and the timeout's token.</summary>
    public delegate Task Translation(Stream body, Action heardFromProvider, CancellationToken reading);

    /// <summary>Reads a provider's error answer (status other than 2xx, 401 and 403 aside): its JSON body, and its headers where they say more.</summary>
    public delegate ProviderErrorBody ErrorReader(JsonElement root, HttpResponseMessage response);

    public async Task RunAsync(ProviderCall call, HttpRequestMessage upstream, OpenAiChatWriter? writer, ErrorReader readError, Translation translate)
    {
        var context = call.HttpContext;
        var model = call.Target.Model;
        // The endpoint timeout bounds the wait for each piece of the answer: the headers, then every event.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var limit = call.Endpoint.Config.Timeout;
        timeout.CancelAfter(limit);
        HttpResponseMessage response;
        try
        {
            response = await invoker.SendAsync(upstream, timeout.Token);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            ProviderLog.CallerWentAway(logger, name, model, ForwarderError.RequestCanceled);
            return;
        }
        catch (OperationCanceledException)
        {
            await ErrorResponseWriter.WriteAsync(context, GatewayErrors.UpstreamTimeout(name, model, limit));
            return;
        }
        catch (HttpRequestException ex)
        {
            await ErrorResponseWriter.WriteAsync(context, GatewayErrors.UpstreamUnreachable(name, model, ex.InnerException?.Message ?? ex.Message));
            return;
        }

        using (response)
        {
            try
            {
                if (!response.IsSuccessStatusCode)
                {
                    await ErrorResponseWriter.WriteAsync(context, await ReadErrorAsync(response, readError, timeout.Token));
                    return;
                }

                await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
                await translate(body, () => timeout.CancelAfter(limit), timeout.Token);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                ProviderLog.CallerWentAway(logger, name, model, ForwarderError.ResponseBodyClient);
            }
            catch (OperationCanceledException)
            {
                await FailAsync(context, writer, GatewayErrors.UpstreamTimeout(name, model, limit));
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // The answer began and broke: a reset, a malformed event, a body that is not the provider's API's.
                ProviderLog.UpstreamFailed(logger, name, model, ForwarderError.ResponseBodyDestination, context.Response.HasStarted);
                await FailAsync(context, writer, GatewayErrors.StreamBrokenOff(name, ex.Message));
            }
        }
    }

    /// <summary>The provider's error as an OpenAI error naming it; the provider key never reaches the client, Retry-After does.</summary>
    private async Task<GatewayError> ReadErrorAsync(HttpResponseMessage response, ErrorReader readError, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
        {
            return GatewayErrors.UpstreamCredentialsRejected(name, status);
        }

        var buffer = new byte[MaxErrorBodyBytes];
        var length = 0;
        await using (var stream = await response.Content.ReadAsStreamAsync(cancellationToken))
        {
            int read;
            while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
            {
                length += read;
            }
        }

        var message = Encoding.UTF8.GetString(buffer, 0, length).Trim();
        var parsed = new ProviderErrorBody(null, null);
        try
        {
            using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
            parsed = readError(document.RootElement, response);
            message = parsed.Message ?? message;
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page, say): its text is the message.
        }

        if (apiKey.Length > 0)
        {
            message = message.Replace(apiKey, "[redacted]", StringComparison.Ordinal);
        }

        if (parsed.CredentialsRejected)
        {
            return GatewayErrors.UpstreamCredentialsRejected(name, status);
        }

        var gatewayError = GatewayErrors.ProviderError(name, type, status, parsed.Code, message);
        var retryAfter = response.Headers.TryGetValues(HeaderNames.RetryAfter, out var values) ? string.Join(",", values) : parsed.RetryAfterSeconds;
        return retryAfter is null ? gatewayError : gatewayError with { Headers = [new(HeaderNames.RetryAfter, retryAfter)] };
    }

    private static async Task FailAsync(HttpContext context, OpenAiChatWriter? writer, GatewayError error)
    {
        if (!context.Response.HasStarted)
        {
            await ErrorResponseWriter.WriteAsync(context, error);
        }
        else if (writer is not null)
        {
            await writer.WriteErrorAsync(error, context.RequestAborted);
        }
        else
        {
            context.Abort(); // a whole-body answer half written: only a reset tells the client it is incomplete
        }
    }

    /// <summary>OpenAI carries arguments as compact JSON text; the provider's own spacing is not part of them.</summary>
    public static string Compact(JsonElement element)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, GatewayJson.WriterOptions))
        {
            element.WriteTo(json);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>What a provider's error body says.</summary>
/// <param name="RetryAfterSeconds">A wait the body asks for, for providers that say it there rather than in Retry-After.</param>
/// <param name="CredentialsRejected">The body says the provider key is bad, whatever the status (Gemini answers 400 for that).</param>
internal sealed record ProviderErrorBody(string? Code, string? Message, string? RetryAfterSeconds = null, bool CredentialsRejected = false);
