using Gateway.Tracking;
using Gateway.Tracking.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Support;

/// <summary>Reading what a test gateway wrote to its tracking store.</summary>
internal static class Tracked
{
    public static TraceWriter Writer(this GatewayHost host) => host.Services.GetRequiredService<TraceWriter>();

    /// <summary>Every trace the gateway has finished (waiting for <paramref name="expected"/> of them), newest first, with spans and bodies.</summary>
    public static async Task<IReadOnlyList<TraceRecord>> TracesAsync(this GatewayHost host, int expected = 1)
    {
        var writer = host.Writer();
        await writer.WhenEnqueuedAsync(expected).WaitAsync(GatewayHost.Bound);
        await writer.FlushAsync(CancellationToken.None).WaitAsync(GatewayHost.Bound);
        var page = await writer.Store.QueryAsync(new TraceQuery { Limit = 1000 }, CancellationToken.None);
        var traces = new List<TraceRecord>();
        foreach (var summary in page.Traces)
        {
            traces.Add((await writer.Store.GetAsync(summary.RequestId, CancellationToken.None))!);
        }

        return traces;
    }

    public static async Task<TraceRecord> SingleTraceAsync(this GatewayHost host) => Assert.Single(await host.TracesAsync());
}
