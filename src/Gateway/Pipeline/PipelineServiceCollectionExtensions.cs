using Gateway.Pipeline.Stages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Pipeline;

internal static class PipelineServiceCollectionExtensions
{
    /// <summary>The inference pipeline and its stages (the order is <see cref="InferencePipeline.Order"/>'s).</summary>
    public static IServiceCollection AddGatewayPipeline(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInferenceStage, TraceStage>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInferenceStage, AuthenticateStage>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInferenceStage, ReadBodyStage>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInferenceStage, ResolveStage>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInferenceStage, AdmitLimitsStage>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInferenceStage, RequestGuardStage>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInferenceStage, MeterStage>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IInferenceStage, RouteStage>());
        services.TryAddSingleton(sp => InferencePipeline.Create(sp.GetServices<IInferenceStage>()));
        return services;
    }
}
