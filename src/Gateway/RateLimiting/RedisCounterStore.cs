using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gateway.Configuration.Model;
using StackExchange.Redis;

namespace Gateway.RateLimiting;

/// <summary>
/// Counters in Redis, shared by every replica: one script call (EVALSHA, loaded again after NOSCRIPT) checks and
/// charges all of a request's counters atomically. Keys share the {key_prefix} hash tag, so on Redis Cluster they
/// sit in one slot, which a multi-key script needs. A store that is down or refuses throws
/// <see cref="CounterStoreUnavailableException"/> at once (the limiter bounds slow answers with rate_limits.timeout);
/// the connection heals itself.
/// </summary>
internal sealed class RedisCounterStore : ICounterStore, IAsyncDisposable
{
    private static readonly Script Acquire = Script.Load("redis-acquire.lua");
    private static readonly Script Adjust = Script.Load("redis-adjust.lua");
    private static readonly RedisValue Charge = "w";
    private static readonly RedisValue ReadOnly = "r";

    private readonly ConnectionMultiplexer _redis;
    private readonly TimeProvider _time;

    private RedisCounterStore(ConnectionMultiplexer redis, TimeProvider time)
    {
        _redis = redis;
        _time = time;
    }

    public string Name => "redis";

    public string ReplicasKey { get; private init; } = "";

    /// <summary>Connects in the background: a Redis that is down at start-up does not stop the gateway.</summary>
    public static async Task<RedisCounterStore> ConnectAsync(RateLimitsConfig config, TimeProvider time)
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(Options(config.Store, config.Timeout));
        return new RedisCounterStore(redis, time) { ReplicasKey = $"{{{config.KeyPrefix}}}:replicas" };
    }

    public bool IsConnected => _redis.IsConnected;

    public async ValueTask<CounterOutcome> AcquireAsync(CounterRequest[] counters, bool readOnly, CancellationToken cancellationToken)
    {
        var keys = new RedisKey[counters.Length];
        var values = new RedisValue[1 + counters.Length * 6];
        values[0] = readOnly ? ReadOnly : Charge;
        for (var i = 0; i < counters.Length; i++)
        {
            var (key, slot, limit, amount) = counters[i];
            keys[i] = key;
            var at = 1 + i * 6;
            values[at] = slot.Bucket;
            values[at + 1] = slot.Span;
            values[at + 2] = slot.MsToBucketEnd;
            values[at + 3] = slot.BucketMs;
            values[at + 4] = limit;
            values[at + 5] = amount;
        }

        var result = (RedisResult[])(await EvaluateAsync(Acquire, keys, values, cancellationToken))!;
        var remaining = new long[counters.Length];
        var reset = new long[counters.Length];
        for (var i = 0; i < counters.Length; i++)
        {
            remaining[i] = (long)result[2 + i * 2];
            reset[i] = (long)result[3 + i * 2];
        }

        return new CounterOutcome((int)result[0] - 1, (long)result[1], remaining, reset);
    }

    public async ValueTask AdjustAsync(CounterAdjustment[] adjustments, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var keys = new RedisKey[adjustments.Length];
        var values = new RedisValue[adjustments.Length * 3];
        for (var i = 0; i < adjustments.Length; i++)
        {
            var adjustment = adjustments[i];
            keys[i] = adjustment.Key;
            values[i * 3] = adjustment.Bucket;
            values[i * 3 + 1] = adjustment.ExpiresAtMs - now;
            values[i * 3 + 2] = adjustment.Delta;
        }

        await EvaluateAsync(Adjust, keys, values, cancellationToken);
    }

    /// <summary>Registers this replica as alive and counts the replicas seen within <paramref name="liveness"/>.</summary>
    public async Task<int> CountReplicasAsync(string replicaId, TimeSpan liveness, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var database = _redis.GetDatabase();
        var batch = database.CreateBatch();
        var added = batch.SortedSetAddAsync(ReplicasKey, replicaId, now);
        var trimmed = batch.SortedSetRemoveRangeByScoreAsync(ReplicasKey, double.NegativeInfinity, now - liveness.TotalMilliseconds);
        var expiry = batch.KeyExpireAsync(ReplicasKey, liveness * 2);
        var count = batch.SortedSetLengthAsync(ReplicasKey);
        batch.Execute();
        await Task.WhenAll(added, trimmed, expiry, count).WaitAsync(TimeSpan.FromSeconds(2), _time, cancellationToken);
        return (int)await count;
    }

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    private async Task<RedisResult> EvaluateAsync(Script script, RedisKey[] keys, RedisValue[] values, CancellationToken cancellationToken)
    {
        if (!_redis.IsConnected)
        {
            throw new CounterStoreUnavailableException("not connected", "not connected");
        }

        var database = _redis.GetDatabase();
        try
        {
            try
            {
                return await database.ScriptEvaluateAsync(script.Sha1, keys, values).WaitAsync(cancellationToken);
            }
            catch (RedisServerException exception) when (exception.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                // The script cache is empty after a restart, a failover or SCRIPT FLUSH: EVAL loads it again.
                return await database.ScriptEvaluateAsync(script.Source, keys, values).WaitAsync(cancellationToken);
            }
        }
        catch (RedisException exception)
        {
            throw new CounterStoreUnavailableException(exception.GetType().Name + ": " + FirstLine(exception.Message), exception is RedisConnectionException ? "connection lost" : "store error", exception);
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    /// <summary>redis://[user:password@]host[:port][/database] and rediss:// (TLS) as StackExchange.Redis options.</summary>
    internal static ConfigurationOptions Options(string url, TimeSpan timeout)
    {
        var uri = new Uri(url);
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            // Fail at once while disconnected rather than queue: the caller then decides locally (or denies).
            BacklogPolicy = BacklogPolicy.FailFast,
            ConnectTimeout = 2000,
            ConnectRetry = 1,
            // The library's own timeouts only catch what the limiter's (rate_limits.timeout) has long given up on.
            AsyncTimeout = Math.Max(1000, (int)timeout.TotalMilliseconds),
            SyncTimeout = Math.Max(1000, (int)timeout.TotalMilliseconds),
            ReconnectRetryPolicy = new LinearRetry(500),
            HeartbeatInterval = TimeSpan.FromMilliseconds(500),
            Ssl = uri.Scheme == "rediss",
            ClientName = "gateway",
        };
        options.EndPoints.Add(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port);
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            if (parts.Length == 2)
            {
                options.User = parts[0].Length > 0 ? Uri.UnescapeDataString(parts[0]) : null;
                options.Password = Uri.UnescapeDataString(parts[1]);
            }
            else
            {
                options.Password = Uri.UnescapeDataString(parts[0]);
            }
        }

        if (uri.AbsolutePath.Trim('/') is { Length: > 0 } database && int.TryParse(database, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            options.DefaultDatabase = number;
        }

        return options;
    }

    /// <summary>A Lua script shipped inside the assembly, with the SHA-1 that EVALSHA names it by.</summary>
    private sealed record Script(string Source, byte[] Sha1)
    {
        public static Script Load(string name)
        {
            using var stream = typeof(Script).Assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException($"embedded script {name} is missing");
            using var reader = new StreamReader(stream);
            var source = reader.ReadToEnd();
#pragma warning disable CA5350 // SHA-1 is what Redis names scripts by, not a security measure.
            return new Script(source, SHA1.HashData(Encoding.UTF8.GetBytes(source)));
#pragma warning restore CA5350
        }
    }
}
