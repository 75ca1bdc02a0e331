using Gateway.Admin;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Errors;
using Gateway.Inbound.OpenAi;
using Gateway.Usage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Hosting;

internal static class GatewayEndpoints
{
    private static readonly string[] KnownPaths =
        [InferencePaths.ChatCompletions, InferencePaths.Completions, InferencePaths.Embeddings, InferencePaths.Models, "/admin/config", "/admin/reload", "/admin/targets", "/api/traces", "/api/usage", RateLimiting.LimitEndpoints.Path, "/healthz", "/readyz"];

    public static WebApplication MapGatewayEndpoints(this WebApplication app)
    {
        app.MapInferenceEndpoints();
        app.MapAdminEndpoints();
        app.MapTrackingEndpoints();
        RateLimiting.LimitEndpoints.MapLimitEndpoints(app);
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" }));
        app.MapGet("/readyz", (ConfigStore store) => Results.Json(new { status = "ready", revision = store.Current.Revision }));
        // Anything else gets OpenAI's error shape too, never an empty 404/405.
        app.MapFallback(context =>
        {
            var path = context.Request.Path.Value ?? "/";
            var error = KnownPaths.Contains(path, StringComparer.OrdinalIgnoreCase)
                ? GatewayErrors.MethodNotAllowed(context.Request.Method, path)
                : GatewayErrors.NotFound(path);
            return ErrorResponseWriter.WriteAsync(context, error);
        });
        return app;
    }
}
