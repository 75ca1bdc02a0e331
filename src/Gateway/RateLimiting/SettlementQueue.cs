using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Gateway.RateLimiting;

/// <summary>
/// Settlements for Redis, off the request's path: a queue that one loop drains, sending whatever has gathered
/// while the previous call was out in one script call. Under light load each goes alone and at once; under heavy
/// load they share calls, so Redis is not asked twice per request.
/// </summary>
internal sealed partial class SettlementQueue(TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan SettlementTimeout = TimeSpan.FromSeconds(2);
    private const int MaxSettlementBatch = 256;

    private readonly Channel<CounterAdjustment> _settlements = Channel.CreateUnbounded<CounterAdjustment>(new UnboundedChannelOptions { SingleReader = true });
    private Task _settling = Task.CompletedTask;

    public void Enqueue(CounterAdjustment[] adjustments)
    {
        foreach (var adjustment in adjustments)
        {
            // Unbounded, but fed at most once per answered request and drained as fast as Redis answers.
            _settlements.Writer.TryWrite(adjustment);
        }
    }

    public void Start(RedisCounterStore redis) => _settling = SettleAsync(redis);

    /// <summary>Takes no more; what is queued still goes out (each call bounded) before this returns.</summary>
    public async Task CompleteAsync()
    {
        _settlements.Writer.TryComplete();
        await _settling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task SettleAsync(RedisCounterStore redis)
    {
        var batch = new List<CounterAdjustment>(MaxSettlementBatch);
        var reader = _settlements.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxSettlementBatch && reader.TryRead(out var adjustment))
            {
                batch.Add(adjustment);
            }

            try
            {
                await redis.AdjustAsync([.. batch], CancellationToken.None).AsTask().WaitAsync(SettlementTimeout, time);
            }
            catch (Exception exception) when (exception is CounterStoreUnavailableException or TimeoutException)
            {
                LogSettlementLost(logger, redis.Name, batch.Count, exception.Message);
            }

            batch.Clear();
        }
    }

    [LoggerMessage(EventId = 7003, Level = LogLevel.Debug, Message = "{Count} usage settlements for the {Store} rate-limit store were lost ({Reason}); their reservations stand")]
    private static partial void LogSettlementLost(ILogger logger, string store, int count, string reason);
}
