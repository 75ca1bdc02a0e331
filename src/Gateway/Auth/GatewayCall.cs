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

    private CallerIdentity? _caller;

    /// <summary>
    /// Set by <see cref="GatewayKeyFilter"/> before the handler runs. A route bound without the filter fails
    /// loudly rather than run as the anonymous (admin, when auth is off) caller.
    /// </summary>
    public CallerIdentity Caller
    {
        get => _caller ?? throw new InvalidOperationException("GatewayCall.Caller read on a route without RequireGatewayKey.");
        internal set => _caller = value;
    }

    public static ValueTask<GatewayCall?> BindAsync(HttpContext context) =>
        ValueTask.FromResult<GatewayCall?>(new GatewayCall(context.RequestServices.GetRequiredService<ConfigStore>().Current));
}
