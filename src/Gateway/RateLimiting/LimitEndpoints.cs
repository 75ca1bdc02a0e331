using System.Text.Json;
using Gateway.Auth;
using Gateway.Configuration;
using Gateway.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.RateLimiting;

/// <summary>GET /api/limits/me: the caller's own limits and what is left of each, read without charging anything.</summary>
internal static class LimitEndpoints
{
    public const string Path = "/api/limits/me";

    public static IEndpointRouteBuilder MapLimitEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, GetMyLimitsAsync).RequireGatewayKey();
        return app;
    }

    private static async Task GetMyLimitsAsync(HttpContext context, GatewayCall call)
    {
        var (snapshot, caller) = (call.Snapshot, call.Caller);

        var endpoint = context.Request.Query["endpoint"].ToString() is { Length: > 0 } name ? name : null;
        if (endpoint is not null && (!snapshot.Config.Endpoints.ContainsKey(endpoint) || !caller.MayCall(endpoint)))
        {
            await ErrorResponseWriter.WriteAsync(context, GatewayErrors.InvalidQuery("endpoint", $"'{endpoint}' is not an endpoint your key may call"));
            return;
        }

        var limiter = context.RequestServices.GetRequiredService<GatewayRateLimiter>();
        var (limits, outcome, store) = await limiter.PeekAsync(snapshot.Config, caller, endpoint, context.RequestAborted);
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body, GatewayJson.WriterOptions);
        json.WriteStartObject();
        json.WriteString("user", caller.User);
        json.WriteString("key", caller.KeyId);
        json.WriteStartArray("groups");
        foreach (var group in caller.Groups)
        {
            json.WriteStringValue(group);
        }

        json.WriteEndArray();
        json.WriteString("store", store);
        json.WriteStartArray("limits");
        for (var i = 0; i < limits.Count; i++)
        {
            var limit = limits[i];
            json.WriteStartObject();
            json.WriteString("scope", limit.Scope);
            json.WriteString("subject", limit.Subject);
            if (limit.Endpoint is null)
            {
                json.WriteNull("endpoint");
            }
            else
            {
                json.WriteString("endpoint", limit.Endpoint);
            }

            json.WriteString("kind", limit.Kind.Name());
            json.WriteString("window", limit.Window.ToString());
            if (limit.Kind == LimitKind.Cost)
            {
                json.WriteNumber("limit_usd", limit.Amount / (decimal)LimitKinds.NanoUsdPerUsd);
                json.WriteNumber("remaining_usd", outcome.Remaining[i] / (decimal)LimitKinds.NanoUsdPerUsd);
            }
            else
            {
                json.WriteNumber("limit", limit.Amount);
                json.WriteNumber("remaining", outcome.Remaining[i]);
            }

            json.WriteNumber("reset_seconds", Math.Round(outcome.ResetMs[i] / 1000.0, 3));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
