namespace Gateway.RateLimiting;

/// <summary>
/// How many replicas share the Redis limits: each registers itself every few seconds and learns how many are
/// alive, which is its share's divisor while Redis is down.
/// </summary>
internal sealed class ReplicaCensus(int replicas, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan CensusInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReplicaLiveness = TimeSpan.FromSeconds(15);

    private readonly string _replicaId = Guid.NewGuid().ToString("N")[..12];
    private readonly CancellationTokenSource _stopping = new();
    private RedisCounterStore? _redis;
    private Task _census = Task.CompletedTask;

    /// <summary>Live replicas as last counted in Redis (rate_limits.replicas until then).</summary>
    public int Replicas { get; private set; } = replicas;

    /// <summary>Counts once now, then every few seconds until <see cref="StopAsync"/>.</summary>
    public async Task StartAsync(RedisCounterStore redis, CancellationToken cancellationToken)
    {
        _redis = redis;
        await CountNowAsync(cancellationToken);
        _census = CountReplicasAsync(_stopping.Token);
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        await _census.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Registers this replica and reads how many are alive now (the census does it every 5 s; tests call it directly).</summary>
    public async Task CountNowAsync(CancellationToken cancellationToken)
    {
        if (_redis is not { IsConnected: true } redis)
        {
            return;
        }

        try
        {
            Replicas = Math.Max(1, await redis.CountReplicasAsync(_replicaId, ReplicaLiveness, cancellationToken));
        }
        catch (Exception exception) when (exception is StackExchange.Redis.RedisException or TimeoutException)
        {
            // The last count stands until Redis answers again.
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task CountReplicasAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(CensusInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await CountNowAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
