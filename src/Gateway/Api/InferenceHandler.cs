using Gateway.Auth;
using Gateway.Configuration;
using Gateway.Errors;
using Gateway.Providers;
using Gateway.Routing;
using Microsoft.AspNetCore.Http;

namespace Gateway.Api;

/// <summary>
/// The data plane for /v1 inference calls: authenticate, read and check the body once, resolve the
/// endpoint and hand over to the router, which picks targets and falls back. Later stages (limits,
/// guardrails, tracking) slot in between these steps.
/// </summary>
internal sealed class InferenceHandler(ConfigStore store, RequestRouter router)
{
    public async Task HandleAsync(HttpContext context, EndpointKind kind)
    {
        // One snapshot for the whole request: a reload mid-request does not mix two configs.
        var snapshot = store.Current;
        if (GatewayKeyAuthenticator.TryAuthenticate(context.Request, snapshot, out var caller) is { } authError)
        {
            await ErrorResponseWriter.WriteAsync(context, authError);
            return;
        }

        var (body, bodyError) = await RequestBody.ReadAsync(context.Request, snapshot.Config.Server.MaxBodySize.Bytes, context.RequestAborted);
        if (body is null)
        {
            await ErrorResponseWriter.WriteAsync(context, bodyError!);
            return;
        }

        using (body)
        {
            var error = Route(snapshot, caller, body, kind, out var endpoint, out var parsed);
            if (error is not null)
            {
                await ErrorResponseWriter.WriteAsync(context, error);
                return;
            }

            await router.RouteAsync(context, caller, endpoint!, body, parsed);
        }
    }

    private static GatewayError? Route(GatewaySnapshot snapshot, CallerIdentity caller, RequestBody body, EndpointKind kind, out RoutedEndpoint? endpoint, out ParsedRequest parsed)
    {
        endpoint = null;
        var error = OpenAiRequestReader.TryRead(body.Span, kind, out parsed);
        if (error is not null)
        {
            return error;
        }

        var endpoints = snapshot.Routes.Endpoints;
        if (!endpoints.TryGetValue(parsed.Model, out endpoint))
        {
            return GatewayErrors.EndpointNotFound(parsed.Model, endpoints.Keys.Where(caller.MayCall));
        }

        if (!caller.MayCall(endpoint.Name))
        {
            return GatewayErrors.EndpointNotAllowed(endpoint.Name);
        }

        return endpoint.Kind != kind
            ? GatewayErrors.WrongEndpointKind(endpoint.Name, endpoint.Kind.Name(), InferencePaths.Prefix + endpoint.Kind.Operation())
            : null;
    }
}
