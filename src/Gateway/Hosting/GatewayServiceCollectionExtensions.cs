using Gateway.Configuration;
using Gateway.Pipeline;
using Gateway.Providers;
using Gateway.Providers.Anthropic;
using Gateway.Providers.AzureOpenAi;
using Gateway.Providers.Bedrock;
using Gateway.Providers.Gemini;
using Gateway.Providers.Mock;
using Gateway.Providers.OpenAi;
using Gateway.Providers.Upstream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Hosting;

/// <summary>Composition root: one AddXxx per feature, with TryAdd so tests can swap any part.</summary>
internal static class GatewayServiceCollectionExtensions
{
    public static IServiceCollection AddGateway(this IServiceCollection services, ConfigLoadResult initialConfig)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddGatewayConfiguration(initialConfig);
        services.AddGatewayProviders();
        services.AddGatewayApi();
        services.AddGatewayTracking();
        services.AddGatewayRateLimiting();
        return services;
    }

    private static void AddGatewayConfiguration(this IServiceCollection services, ConfigLoadResult initialConfig)
    {
        services.AddMetrics();
        services.TryAddSingleton<ConfigMetrics>();
        services.TryAddSingleton(ProviderRegistry.Rules);
        // Each feature compiles its own table from every revision; the snapshot carries them.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISnapshotCompiler, Routing.RouteTableCompiler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISnapshotCompiler, Auth.KeyTableCompiler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISnapshotCompiler, Guardrails.GuardrailTableCompiler>());
        services.TryAddSingleton(sp => ActivatorUtilities.CreateInstance<ConfigStore>(sp, initialConfig));
        services.AddHostedService<ConfigFileWatcher>();
    }

    private static void AddGatewayProviders(this IServiceCollection services)
    {
        services.AddHttpForwarder();
        services.TryAddSingleton<UpstreamInvoker>();
        services.TryAddSingleton<Routing.Resilience.TargetCircuits>();
        services.TryAddSingleton<Routing.RequestRouter>();
        services.AddSingleton<IProviderFactory, OpenAiProviderFactory>();
        services.AddSingleton<IProviderFactory, AzureOpenAiProviderFactory>();
        services.AddSingleton<IProviderFactory, AnthropicProviderFactory>();
        services.AddSingleton<IProviderFactory, GeminiProviderFactory>();
        services.AddSingleton<IProviderFactory, BedrockProviderFactory>();
        services.AddSingleton<IProviderFactory, MockProviderFactory>();
        services.TryAddSingleton<ProviderRegistry>();
    }

    private static void AddGatewayTracking(this IServiceCollection services)
    {
        services.TryAddSingleton<Tracking.GatewayTracing>();
        // Where traces are kept is a start-up setting: the first config's tracking.store.
        services.TryAddSingleton(sp =>
        {
            var snapshot = sp.GetRequiredService<ConfigStore>().Current;
            return Tracking.TrackingStores.Open(snapshot.Config.Tracking, snapshot.Source);
        });
        services.TryAddSingleton<Tracking.TraceWriter>();
        // The writer drains its queue after the server has finished its requests (IHostedLifecycleService.StoppedAsync).
        services.AddHostedService(sp => sp.GetRequiredService<Tracking.TraceWriter>());
        services.TryAddSingleton<Tracking.TracePurger>();
        services.AddHostedService(sp => sp.GetRequiredService<Tracking.TracePurger>());
    }

    private static void AddGatewayRateLimiting(this IServiceCollection services)
    {
        // Connects to Redis (when rate_limits.store names one) before the server takes requests.
        services.TryAddSingleton<RateLimiting.GatewayRateLimiter>();
        services.AddHostedService(sp => sp.GetRequiredService<RateLimiting.GatewayRateLimiter>());
    }

    private static void AddGatewayApi(this IServiceCollection services)
    {
        // Random.Shared is thread-safe; tests register a seeded Random to make the split deterministic.
        services.TryAddSingleton(Random.Shared);
        services.TryAddSingleton<Guardrails.GuardrailTelemetry>();
        services.AddGatewayPipeline();
    }
}
