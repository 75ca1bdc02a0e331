using Gateway.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Auth;

/// <summary>
/// A call to a keyed management route (models, usage, traces, limits, admin), bound as the handler's parameter:
/// the one config revision it reads, and the caller that <see cref="GatewayKeyFilter"/> authenticated.
/// </summary>
internal sealed class GatewayCall(GatewaySnapshot snapshot)
{
    public GatewaySnapshot Snapshot { get; } = snapshot;

    /// <summary>Set by <see cref="GatewayKeyFilter"/> before the handler runs.</summary>
    public CallerIdentity Caller { get; internal set; } = CallerIdentity.Anonymous;

    public static ValueTask<GatewayCall?> BindAsync(HttpContext context) =>
        ValueTask.FromResult<GatewayCall?>(new GatewayCall(context.RequestServices.GetRequiredService<ConfigStore>().Current));
}
