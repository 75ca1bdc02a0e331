using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Gateway.Tracking;

/// <summary>
/// tracking.otlp: the gateway's spans (the same activities the store's traces are built from) go to an OTLP/HTTP
/// collector as well, such as an OpenTelemetry Collector or an MLflow tracking server's /v1/traces.
/// </summary>
internal static class OtlpExport
{
    public const string ServiceName = "ai-gateway";

    public static IServiceCollection AddGatewayOtlpExport(this IServiceCollection services, string endpoint)
    {
        var tracesUrl = endpoint.TrimEnd('/') is var root && root.EndsWith("/v1/traces", StringComparison.Ordinal) ? root : root + "/v1/traces";
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithTracing(tracing => tracing
                .AddSource(GatewayTracing.SourceName)
                .AddOtlpExporter(otlp =>
                {
                    otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
                    otlp.Endpoint = new Uri(tracesUrl);
                    // A second, not five: traces show up in the collector while the request is still in mind.
                    otlp.BatchExportProcessorOptions.ScheduledDelayMilliseconds = 1000;
                }));
        return services;
    }
}
