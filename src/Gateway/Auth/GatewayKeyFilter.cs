using Gateway.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Gateway.Auth;

/// <summary>
/// The gateway-key check of every keyed management route, declared on the route (<see cref="RequireGatewayKey"/>)
/// rather than called in each handler: the caller's key from the headers the stock SDKs use, against the call's
/// config revision; a missing or unknown key (or, where the route needs one, a key without the role) gets the
/// error in OpenAI's shape and the handler never runs.
/// </summary>
internal sealed class GatewayKeyFilter(CallerRole? required) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var call = Find(context.Arguments);
        var http = context.HttpContext;
        var error = GatewayKeyAuthenticator.TryAuthenticate(http.Request, call.Snapshot, out var caller)
            ?? (required is not { } role || caller.Role == role || caller.Role == CallerRole.Admin ? null : Refusal(role, http.Request));
        if (error is not null)
        {
            await ErrorResponseWriter.WriteAsync(http, error);
            return Results.Empty;
        }

        call.Caller = caller;
        return await next(context);
    }

    private static GatewayError Refusal(CallerRole role, HttpRequest request) => role switch
    {
        CallerRole.Admin => GatewayErrors.AdminOnly($"{request.Method} {request.Path}"),
        _ => throw new InvalidOperationException($"No refusal for role {role}"),
    };

    private static GatewayCall Find(IList<object?> arguments)
    {
        foreach (var argument in arguments)
        {
            if (argument is GatewayCall call)
            {
                return call;
            }
        }

        throw new InvalidOperationException("A route that requires a gateway key must take a GatewayCall parameter.");
    }
}

internal static class GatewayKeyFilterExtensions
{
    /// <summary>The route answers only callers with a valid gateway key (of <paramref name="role"/>, or admin, when given).</summary>
    public static TBuilder RequireGatewayKey<TBuilder>(this TBuilder builder, CallerRole? role = null) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(new GatewayKeyFilter(role));
}
