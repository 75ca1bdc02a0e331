using System.Text;
using System.Text.Json;
using Gateway.Core.Chat;
using Gateway.Errors;
using Gateway.Providers.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Providers.Translation;

/// <summary>
/// One call to a translated provider, shared by every such provider: sends the translated request through the
/// attempt's timeouts, hands a success to the provider's translation, and turns every way the call can fail
/// into an <see cref="AttemptResult"/>: before the answer starts, a failure the router may retry or fall back
/// from; after, an error event that ends the client's stream.
/// </summary>
internal sealed class TranslatedExchange(string name, string type, string apiKey, HttpMessageInvoker invoker, ILogger logger)
{
    private const int MaxErrorBodyBytes = 64 * 1024;

    /// <summary>The answer's translation; for a stream, the error it ended the stream with, if it had to.</summary>
    public delegate Task<GatewayError?> Translation(Stream body, CancellationToken cancellationToken);

    /// <summary>Reads a provider's error answer (status other than 2xx, 401 and 403 aside): its JSON body, and its headers where they say more.</summary>
    public delegate ProviderErrorBody ErrorReader(JsonElement root, HttpResponseMessage response);

    public async Task<AttemptResult> RunAsync(ProviderCall call, HttpRequestMessage upstream, IChatAnswerWriter? writer, ErrorReader readError, Translation translate)
    {
        var context = call.HttpContext;
        var model = call.Target.Model;
        var aborted = context.RequestAborted;
        upstream.Options.Set(UpstreamAttempt.OptionKey, call.Attempt);
        HttpResponseMessage response;
        try
        {
            response = await invoker.SendAsync(upstream, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            ProviderLog.CallerWentAway(logger, name, model, ForwarderError.RequestCanceled);
            return AttemptResult.CallerGone;
        }
        catch (Exception ex) when (UpstreamFailures.Timeout(ex) is { } timeout)
        {
            return AttemptResult.Failed(GatewayErrors.UpstreamTimeout(name, model, timeout.Limit));
        }
        catch (HttpRequestException ex)
        {
            return AttemptResult.Failed(GatewayErrors.UpstreamUnreachable(name, model, ex.InnerException?.Message ?? ex.Message));
        }

        using (response)
        {
            try
            {
                if (!response.IsSuccessStatusCode)
                {
                    return AttemptResult.Failed(await ReadErrorAsync(response, readError, aborted));
                }

                await using var body = await response.Content.ReadAsStreamAsync(aborted);
                return await translate(body, aborted) is { } ended ? AttemptResult.BrokeAfterStart(ended) : AttemptResult.Served;
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                ProviderLog.CallerWentAway(logger, name, model, ForwarderError.ResponseBodyClient);
                return AttemptResult.CallerGone;
            }
            catch (Exception ex) when (UpstreamFailures.Timeout(ex) is { } timeout)
            {
                return await FailAsync(context, writer, GatewayErrors.UpstreamTimeout(name, model, timeout.Limit));
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                // The answer began and broke: a reset, a connection closed mid-body.
                ProviderLog.UpstreamFailed(logger, name, model, ForwarderError.ResponseBodyDestination, context.Response.HasStarted);
                return await FailAsync(context, writer, GatewayErrors.StreamBrokenOff(name, ex is HttpRequestException ? UpstreamFailures.Innermost(ex) : ex.Message));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // An event or a body that is not the provider's API's: the same code as a compatible server's malformed
                // event, and the client is told what was wrong, not the parser's words (line and byte positions).
                ProviderLog.UpstreamFailed(logger, name, model, ForwarderError.ResponseBodyDestination, context.Response.HasStarted);
                var what = ex is JsonException ? "an event or body that is not valid JSON" : $"an answer not in the {type} API's shape";
                return await FailAsync(context, writer, GatewayErrors.UpstreamProtocol(name, model, "it sent " + what));
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

    /// <summary>Before the answer started, a failure the router may still act on; after, an error event ends the stream.</summary>
    private static async Task<AttemptResult> FailAsync(HttpContext context, IChatAnswerWriter? writer, GatewayError error)
    {
        if (!context.Response.HasStarted)
        {
            ErrorResponseWriter.Reset(context.Response);
            return AttemptResult.Failed(error);
        }

        if (writer is not null)
        {
            await writer.WriteErrorAsync(error, context.RequestAborted);
        }
        else
        {
            context.Abort(); // a whole-body answer half written: only a reset tells the client it is incomplete
        }

        return AttemptResult.BrokeAfterStart(error);
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
