using Gateway.Api;
using Gateway.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Providers.OpenAi;

/// <summary>
/// Upstreams that speak OpenAI's wire format (OpenAI, Azure OpenAI, the OpenAI-compatible presets): the body
/// is forwarded as bytes with only the model value spliced, and the response (JSON or SSE) is streamed back
/// by YARP as it arrives. <paramref name="destination"/> gives the URL prefix a target's calls go to.
/// </summary>
internal sealed class OpenAiProvider(
    string name,
    Func<Routing.RouteTarget, string> destination,
    OpenAiRequestTransformer transformer,
    IHttpForwarder forwarder,
    HttpMessageInvoker invoker,
    ILogger logger) : IProvider
{
    public async Task SendAsync(ProviderCall call)
    {
        var context = call.HttpContext;
        var request = context.Request;
        var parsed = call.Request;
        var body = new SplicedBodyStream(call.Body.Memory, parsed.ModelTokenStart, parsed.ModelTokenLength, call.Target.ModelToken);
        request.Body = body;
        request.ContentLength = body.Length;
        request.Headers.Remove(HeaderNames.TransferEncoding);

        var error = await forwarder.SendAsync(context, destination(call.Target), invoker, call.Endpoint.ForwarderConfig, transformer);
        if (error == ForwarderError.None)
        {
            return;
        }

        var exception = context.GetForwarderErrorFeature()?.Exception;
        var model = call.Target.Model;
        GatewayError? gatewayError = error switch
        {
            ForwarderError.RequestTimedOut => GatewayErrors.UpstreamTimeout(name, model, call.Endpoint.Config.Timeout),
            ForwarderError.Request => GatewayErrors.UpstreamUnreachable(name, model, Innermost(exception)),
            // The client went away: nobody to answer.
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient or ForwarderError.UpgradeResponseClient => null,
            _ => GatewayErrors.UpstreamProtocol(name, model, Innermost(exception)),
        };

        if (gatewayError is null)
        {
            ProviderLog.CallerWentAway(logger, name, model, error);
            return;
        }

        ProviderLog.UpstreamFailed(logger, name, model, error, context.Response.HasStarted);
        if (!context.Response.HasStarted)
        {
            await ErrorResponseWriter.WriteAsync(context, gatewayError);
        }
    }

    private static string Innermost(Exception? exception)
    {
        if (exception is null)
        {
            return "no detail from the connection";
        }

        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception.Message;
    }
}
