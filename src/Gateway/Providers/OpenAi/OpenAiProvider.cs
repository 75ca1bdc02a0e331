using Gateway.Errors;
using Gateway.Providers.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Providers.OpenAi;

/// <summary>
/// Upstreams that speak OpenAI's wire format (OpenAI, Azure OpenAI, the OpenAI-compatible presets): the body
/// is forwarded as bytes with only the model value spliced, and the response (JSON or SSE) is streamed back
/// as it arrives: JSON by YARP, a stream event by event by the relay, which checks each event.
/// <paramref name="destination"/> gives the URL prefix a target's calls go to.
/// </summary>
internal sealed class OpenAiProvider(
    string name,
    Func<ProviderTarget, string> destination,
    OpenAiRequestTransformer transformer,
    IHttpForwarder forwarder,
    HttpMessageInvoker invoker,
    ILogger logger,
    bool streamUsage = true) : IProvider
{
    public async Task<AttemptResult> SendAsync(ProviderCall call)
    {
        var context = call.HttpContext;
        var request = context.Request;
        var parsed = call.Request;
        // A fresh view of the buffered body for every attempt: a retry sends it again.
        // A stream traced without the caller asking for usage asks the provider for it (the meter keeps it from the caller).
        var model = parsed.UsageForTrace && streamUsage ? call.Target.ModelTokenAskingUsage : call.Target.ModelToken;
        var body = new SplicedBodyStream(call.Body.Memory, parsed.ModelTokenStart, parsed.ModelTokenLength, model);
        request.Body = body;
        request.ContentLength = body.Length;
        request.Headers.Remove(HeaderNames.TransferEncoding);
        call.Attempt.Relayed = true;

        var attempt = transformer.ForAttempt(call.Attempt, call.Relay);
        var error = await forwarder.SendAsync(context, destination(call.Target), invoker, ForwarderConfig, attempt);
        if (attempt.Failure is { } failure)
        {
            ProviderLog.StreamRelayFailed(logger, failure, name, call.Target.Model);
            var internalError = GatewayErrors.Internal(context.TraceIdentifier);
            if (!IsEventStream(context.Response))
            {
                // A JSON answer: unstarted, the caller gets the 500; half sent, only a reset says it is incomplete.
                if (context.Response.HasStarted)
                {
                    context.Abort();
                }
                else
                {
                    ErrorResponseWriter.Reset(context.Response);
                }

                return AttemptResult.BrokeAfterStart(internalError);
            }

            try
            {
                await call.Relay.FailAsync(internalError, context.RequestAborted);
            }
            catch (Exception gone) when (gone is OperationCanceledException or IOException)
            {
                return AttemptResult.CallerGone;
            }

            return AttemptResult.BrokeAfterStart(internalError);
        }

        if (attempt.CallerGone)
        {
            ProviderLog.CallerWentAway(logger, name, call.Target.Model, ForwarderError.ResponseBodyClient);
            return AttemptResult.CallerGone;
        }

        if (call.Attempt.UpstreamError is { } upstreamError)
        {
            return AttemptResult.Failed(upstreamError); // read, not relayed: the transformer kept the response unstarted
        }

        if (error == ForwarderError.None)
        {
            return call.Attempt.BrokenStream is { } broken ? AttemptResult.BrokeAfterStart(broken) : AttemptResult.Served;
        }

        var exception = context.GetForwarderErrorFeature()?.Exception;
        var targetModel = call.Target.Model;
        if (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient or ForwarderError.UpgradeResponseClient)
        {
            ProviderLog.CallerWentAway(logger, name, targetModel, error);
            return AttemptResult.CallerGone;
        }

        var gatewayError = UpstreamFailures.Timeout(exception) is { } timeout
            ? GatewayErrors.UpstreamTimeout(name, targetModel, timeout.Limit)
            : error switch
            {
                ForwarderError.RequestTimedOut => GatewayErrors.UpstreamTimeout(name, targetModel, ForwarderConfig.ActivityTimeout!.Value),
                ForwarderError.Request => GatewayErrors.UpstreamUnreachable(name, targetModel, UpstreamFailures.Innermost(exception)),
                _ => GatewayErrors.UpstreamProtocol(name, targetModel, UpstreamFailures.Innermost(exception)),
            };
        ProviderLog.UpstreamFailed(logger, name, targetModel, error, context.Response.HasStarted);
        if (context.Response.HasStarted)
        {
            return AttemptResult.BrokeAfterStart(gatewayError); // YARP has cut the client's connection
        }

        ErrorResponseWriter.Reset(context.Response);
        return AttemptResult.Failed(gatewayError);
    }

    private static bool IsEventStream(HttpResponse response) =>
        response.ContentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>
    /// YARP's own activity timeout stays out of the way: the attempt's connect, first-byte and idle timeouts are
    /// enforced by the upstream invoker and the body stream, which know which wait ran out.
    /// </summary>
    private static readonly ForwarderRequestConfig ForwarderConfig = new() { ActivityTimeout = TimeSpan.FromDays(1) };
}
