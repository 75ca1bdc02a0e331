using Gateway.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Tracking;

/// <summary>
/// Retention: once an hour (and at start-up) deletes traces older than retention.traces, clears captured bodies
/// older than retention.bodies, keeps at most retention.max_traces (the newest), and drops usage rollups older
/// than retention.usage. Every replica may run it;
/// the deletes are idempotent.
/// </summary>
internal sealed partial class TracePurger(ConfigStore config, TraceWriter writer, TimeProvider time, ILogger<TracePurger> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>Runs one purge with the current config's retention; returns what it removed.</summary>
    public async Task<Store.PurgeResult> PurgeAsync(CancellationToken cancellationToken)
    {
        var retention = config.Current.Config.Tracking.Retention;
        var now = time.GetUtcNow();
        await writer.EnsureMigratedAsync(cancellationToken);
        var result = await writer.Store.PurgeAsync(now - retention.Traces, now - retention.Bodies, now - retention.Usage, retention.MaxTraces, cancellationToken);
        if (result.TracesDeleted + result.BodiesCleared + result.UsageRowsDeleted > 0)
        {
            Log.Purged(logger, result.TracesDeleted, result.BodiesCleared, result.UsageRowsDeleted);
        }

        return result;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!config.Current.Config.Tracking.Enabled)
        {
            return; // read at start-up, as the writer does
        }

        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
            {
                try
                {
                    await PurgeAsync(stoppingToken);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    Log.PurgeFailed(logger, exception.GetType().Name);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6201, EventName = "TracesPurged", Level = LogLevel.Information,
            Message = "Retention: deleted {Traces} traces, cleared the bodies of {Bodies}, deleted {UsageRows} usage rollup rows")]
        public static partial void Purged(ILogger logger, long traces, long bodies, long usageRows);

        [LoggerMessage(EventId = 6202, EventName = "TracePurgeFailed", Level = LogLevel.Warning,
            Message = "Retention purge failed ({Error}); it runs again within the hour")]
        public static partial void PurgeFailed(ILogger logger, string error);
    }
}
