using System.Text.Json;
using Gateway.Auth;
using Gateway.Configuration;
using Gateway.Errors;
using Gateway.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Admin;

/// <summary>The admin API: the effective config (secrets redacted), forced reloads and the targets' health. Admin keys only.</summary>
internal static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/config", GetConfigAsync).RequireGatewayKey(CallerRole.Admin);
        app.MapPost("/admin/reload", ReloadAsync).RequireGatewayKey(CallerRole.Admin);
        app.MapGet("/admin/targets", GetTargetsAsync).RequireGatewayKey(CallerRole.Admin);
        return app;
    }

    /// <summary>Every target of the current config: its circuit, and its last 100 calls' error rate and latency on this replica.</summary>
    private static async Task GetTargetsAsync(HttpContext context, GatewayCall call)
    {
        var store = context.RequestServices.GetRequiredService<ConfigStore>();

        var targets = call.Snapshot.Routes.Endpoints.Values
            .SelectMany(e => e.Targets.Concat(e.Fallbacks).Concat(e.ContextLengthFallbacks).Concat(e.ContentPolicyFallbacks).Select(t => (Endpoint: e.Name, Target: t)))
            .GroupBy(x => x.Target.Circuit)
            .Select(g =>
            {
                var circuit = g.Key;
                var (calls, errorRate, p50, p95) = circuit.Recent();
                return new
                {
                    provider = circuit.Provider,
                    model = circuit.Model,
                    endpoints = g.Select(x => x.Endpoint).Distinct().Order(StringComparer.Ordinal).ToArray(),
                    circuit = circuit.State,
                    recent = new { calls, error_rate = Math.Round(errorRate, 4), latency_ms = new { p50 = Math.Round(p50, 1), p95 = Math.Round(p95, 1) } },
                };
            })
            .OrderBy(t => t.provider, StringComparer.Ordinal).ThenBy(t => t.model, StringComparer.Ordinal)
            .ToArray();
        await WriteJsonAsync(context, StatusCodes.Status200OK, new { targets });
    }

    private static async Task GetConfigAsync(HttpContext context, GatewayCall call)
    {
        var store = context.RequestServices.GetRequiredService<ConfigStore>();

        var snapshot = call.Snapshot;
        var lastError = store.LastError;
        await WriteJsonAsync(context, StatusCodes.Status200OK, new
        {
            revision = snapshot.Revision,
            hash = snapshot.Hash,
            loaded_at = snapshot.LoadedAt,
            source = snapshot.Source.DisplayName,
            last_reload_error = lastError is null ? null : new { at = lastError.At, errors = lastError.Errors },
            config = snapshot.Config,
        });
    }

    private static async Task ReloadAsync(HttpContext context, GatewayCall call)
    {
        var store = context.RequestServices.GetRequiredService<ConfigStore>();

        var outcome = store.Reload("POST /admin/reload");
        var valid = outcome.Errors.Count == 0;
        await WriteJsonAsync(context, valid ? StatusCodes.Status200OK : StatusCodes.Status422UnprocessableEntity, new
        {
            status = valid ? (outcome.Applied ? "applied" : "unchanged") : "rejected",
            revision = outcome.Revision,
            hash = outcome.Hash,
            errors = outcome.Errors,
        });
    }

    private static Task WriteJsonAsync<T>(HttpContext context, int status, T value)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, value, ConfigView.Options, context.RequestAborted);
    }
}
