using Gateway.Configuration;
using Gateway.Tracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

/// <summary>Builds the gateway's web host from a valid first configuration.</summary>
internal static partial class GatewayApplication
{
    /// <param name="listenOverride">Listen here instead of server.listen (tests bind 127.0.0.1:0).</param>
    /// <param name="configureServices">Replaces parts after the defaults are added (tests).</param>
    public static WebApplication Build(ConfigLoadResult initialConfig, string? listenOverride = null, Action<IServiceCollection>? configureServices = null)
    {
        var config = initialConfig.Config ?? throw new ArgumentException("the configuration is not valid", nameof(initialConfig));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
            options.UseUtcTimestamp = true;
        });
        // Per-request framework logs cost time on the hot path and say nothing the gateway's own logs don't:
        // YARP's forwarder writes two Information lines per request; in the load test they cost a third of the throughput.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        builder.WebHost.UseUrls(listenOverride ?? config.Server.Listen);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The gateway enforces server.max_body_size itself, per request, so it follows hot reloads.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddGateway(initialConfig);
        if (config.Tracking.Otlp is { } otlp)
        {
            builder.Services.AddGatewayOtlpExport(otlp);
        }

        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        if (config.Server.AllowsAnonymous)
        {
            Log.RunningWithoutKeys(app.Logger);
        }

        app.UseMiddleware<UnhandledErrorMiddleware>();
        app.MapGatewayEndpoints();
        return app;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, EventName = "RunningWithoutKeys", Level = LogLevel.Warning,
            Message = "server.auth is none: any local process can call this gateway without a key. Configure keys before exposing it.")]
        public static partial void RunningWithoutKeys(ILogger logger);
    }
}
