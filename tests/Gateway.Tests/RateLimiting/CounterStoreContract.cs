using Gateway.Configuration.Model;
using Gateway.RateLimiting;
using Gateway.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.RateLimiting;

/// <summary>
/// What every counter store must do, run against the in-memory store and a real Redis: the same bucketed sliding
/// window, decided all or nothing. Time is a fake clock the stores are handed (Redis is given "now" by the caller).
/// </summary>
public abstract class CounterStoreContract : IAsyncLifetime
{
    private static readonly RateWindow Minute = new(TimeSpan.FromMinutes(1), IsCalendarMonth: false);

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));

    protected string Prefix { get; } = "t" + Guid.NewGuid().ToString("N")[..8];

    private protected ICounterStore Store { get; private set; } = null!;

    private protected abstract Task<ICounterStore> CreateStoreAsync();

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private CounterRequest Counter(string name, long limit, long amount, RateWindow? window = null) =>
        new($"{{{Prefix}}}:{name}", WindowSlot.At(window ?? Minute, Time.GetUtcNow()), limit, amount);

    private Task<CounterOutcome> AcquireAsync(params CounterRequest[] counters) => Store.AcquireAsync(counters, readOnly: false, CancellationToken.None).AsTask();

    [Fact]
    public async Task Grants_up_to_the_limit_then_refuses_with_the_time_until_room()
    {
        for (var i = 0; i < 3; i++)
        {
            var granted = await AcquireAsync(Counter("a", 3, 1));
            Assert.True(granted.Granted);
            Assert.Equal(2 - i, granted.Remaining[0]);
        }

        Time.Advance(TimeSpan.FromSeconds(20));
        var refused = await AcquireAsync(Counter("a", 3, 1));
        Assert.False(refused.Granted);
        Assert.Equal(0, refused.DeniedIndex);
        // The first counts expire one window (plus at most one 1 s bucket) after they were made: 40 to 41 s from now.
        Assert.InRange(refused.RetryAfterMs, 40_000, 41_000);
    }

    [Fact]
    public async Task Counts_come_back_once_the_window_has_slid_past_them()
    {
        Assert.True((await AcquireAsync(Counter("slide", 2, 2))).Granted);
        Time.Advance(TimeSpan.FromSeconds(59));
        Assert.False((await AcquireAsync(Counter("slide", 2, 1))).Granted);
        Time.Advance(TimeSpan.FromSeconds(2.5));
        var later = await AcquireAsync(Counter("slide", 2, 1));
        Assert.True(later.Granted);
        Assert.Equal(1, later.Remaining[0]);
    }

    [Fact]
    public async Task Never_counts_anything_for_less_than_the_whole_window()
    {
        // Counted at every point of a bucket, a count still holds the limit until a full window has passed.
        for (var offset = 0; offset < 1000; offset += 250)
        {
            var key = "edge" + offset;
            Time.SetUtcNow(new DateTimeOffset(2026, 11, 23, 11, 0, 0, TimeSpan.Zero).AddMinutes(offset / 50).AddMilliseconds(offset));
            Assert.True((await AcquireAsync(Counter(key, 1, 1))).Granted);
            Time.Advance(TimeSpan.FromMinutes(1) - TimeSpan.FromMilliseconds(1));
            Assert.False((await AcquireAsync(Counter(key, 1, 1))).Granted);
        }
    }

    [Fact]
    public async Task A_refusal_by_one_counter_charges_none()
    {
        Assert.True((await AcquireAsync(Counter("full", 1, 1))).Granted);
        var refused = await AcquireAsync(Counter("free", 10, 1), Counter("full", 1, 1));
        Assert.Equal(1, refused.DeniedIndex);
        var read = await Store.AcquireAsync([Counter("free", 10, 0)], readOnly: true, CancellationToken.None);
        Assert.Equal(10, read.Remaining[0]);
    }

    [Fact]
    public async Task A_request_bigger_than_the_limit_never_fits()
    {
        var refused = await AcquireAsync(Counter("big", 100, 101));
        Assert.False(refused.Granted);
        Assert.Equal(-1, refused.RetryAfterMs);
    }

    [Fact]
    public async Task Reading_charges_nothing()
    {
        await AcquireAsync(Counter("read", 5, 2));
        var read = await Store.AcquireAsync([Counter("read", 5, 0), Counter("never", 7, 0)], readOnly: true, CancellationToken.None);
        Assert.Equal([3L, 7L], read.Remaining);
        Assert.True(read.ResetMs[0] > 0);
        Assert.Equal(0, read.ResetMs[1]);
    }

    [Fact]
    public async Task Settling_refunds_and_charges_the_bucket_the_reservation_was_made_in()
    {
        var slot = WindowSlot.At(Minute, Time.GetUtcNow());
        var expires = Time.GetUtcNow().ToUnixTimeMilliseconds() + slot.MsUntilReset;
        await AcquireAsync(Counter("tokens", 1000, 600));
        await Store.AdjustAsync([new CounterAdjustment($"{{{Prefix}}}:tokens", slot.Bucket, expires, -450)], CancellationToken.None);
        Assert.Equal(850, (await Read("tokens", 1000)).Remaining[0]);

        await Store.AdjustAsync([new CounterAdjustment($"{{{Prefix}}}:tokens", slot.Bucket, expires, 300)], CancellationToken.None);
        Assert.Equal(550, (await Read("tokens", 1000)).Remaining[0]);

        // A refund never takes a bucket below zero.
        await Store.AdjustAsync([new CounterAdjustment($"{{{Prefix}}}:tokens", slot.Bucket, expires, -5000)], CancellationToken.None);
        Assert.Equal(1000, (await Read("tokens", 1000)).Remaining[0]);

        // The refunded amount does not expire twice: the charge's own bucket carried it.
        await AcquireAsync(Counter("tokens", 1000, 1000));
        Time.Advance(TimeSpan.FromSeconds(61.5));
        Assert.Equal(1000, (await Read("tokens", 1000)).Remaining[0]);
    }

    [Fact]
    public async Task Settling_after_the_charge_has_expired_changes_nothing()
    {
        var slot = WindowSlot.At(Minute, Time.GetUtcNow());
        var expires = Time.GetUtcNow().ToUnixTimeMilliseconds() + slot.MsUntilReset;
        await AcquireAsync(Counter("late", 100, 60));
        Time.Advance(TimeSpan.FromMinutes(2));
        await AcquireAsync(Counter("late", 100, 10));
        await Store.AdjustAsync([new CounterAdjustment($"{{{Prefix}}}:late", slot.Bucket, expires, 500)], CancellationToken.None);
        Assert.Equal(90, (await Read("late", 100)).Remaining[0]);
    }

    [Fact]
    public async Task A_calendar_month_resets_when_the_next_month_starts()
    {
        var month = new RateWindow(TimeSpan.Zero, IsCalendarMonth: true);
        Time.SetUtcNow(new DateTimeOffset(2026, 11, 30, 23, 59, 0, TimeSpan.Zero));
        Assert.True((await AcquireAsync(Counter("budget", 10, 10, month))).Granted);
        var refused = await AcquireAsync(Counter("budget", 10, 1, month));
        Assert.False(refused.Granted);
        Assert.Equal(60_000, refused.RetryAfterMs);
        Time.SetUtcNow(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.True((await AcquireAsync(Counter("budget", 10, 10, month))).Granted);
    }

    [Fact]
    public async Task Amounts_of_nano_dollars_beyond_ten_to_the_fourteen_count_exactly()
    {
        const long limit = 500_000_000_000_000; // $500,000
        Assert.True((await AcquireAsync(Counter("usd", limit, 123_456_789_012_345))).Granted);
        var read = await Read("usd", limit);
        Assert.Equal(limit - 123_456_789_012_345, read.Remaining[0]);
    }

    [Fact]
    public async Task Concurrent_requests_are_admitted_exactly_up_to_the_limit()
    {
        const int limit = 500;
        var admitted = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                // Two limits at once, as a request with an endpoint and a user limit would have.
                if ((await AcquireAsync(Counter("race", limit, 1), Counter("race-wide", 10 * limit, 3))).Granted)
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        })));

        Assert.Equal(limit, admitted);
        Assert.Equal(10 * limit - 3 * limit, (await Read("race-wide", 10 * limit)).Remaining[0]);
    }

    private Task<CounterOutcome> Read(string name, long limit) =>
        Store.AcquireAsync([Counter(name, limit, 0)], readOnly: true, CancellationToken.None).AsTask();
}

public sealed class MemoryCounterStoreTests : CounterStoreContract
{
    private protected override Task<ICounterStore> CreateStoreAsync() => Task.FromResult<ICounterStore>(new MemoryCounterStore(Time));

    [Fact]
    public void Counters_whose_counts_have_all_expired_are_dropped()
    {
        var store = new MemoryCounterStore(Time);
        var minute = new RateWindow(TimeSpan.FromMinutes(1), IsCalendarMonth: false);
        for (var i = 0; i < 5000; i++)
        {
            store.Acquire([new CounterRequest($"gone-{i}", WindowSlot.At(minute, Time.GetUtcNow()), 10, 1)], readOnly: false);
        }

        Time.Advance(TimeSpan.FromMinutes(2));
        for (var i = 0; i < 5001; i++)
        {
            store.Acquire([new CounterRequest("live", WindowSlot.At(minute, Time.GetUtcNow()), 1_000_000, 1)], readOnly: false);
        }

        Assert.Equal(1, store.Count);
    }
}

[Collection(nameof(UsesRedis))]
public sealed class RedisCounterStoreTests(RedisServer redis) : CounterStoreContract
{
    private RedisCounterStore? _store;

    private protected override async Task<ICounterStore> CreateStoreAsync()
    {
        _store = await RedisCounterStore.ConnectAsync(new RateLimitsConfig { Store = redis.Url, KeyPrefix = Prefix, Timeout = TimeSpan.FromSeconds(2) }, Time);
        return _store;
    }

    public override async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    [Fact]
    public async Task Loads_the_script_again_after_the_server_forgot_it()
    {
        var counter = new CounterRequest($"{{{Prefix}}}:flush", WindowSlot.At(new RateWindow(TimeSpan.FromMinutes(1), false), Time.GetUtcNow()), 5, 1);
        Assert.True((await Store.AcquireAsync([counter], false, CancellationToken.None)).Granted);
        Assert.Equal("+OK", await redis.CommandAsync("SCRIPT FLUSH"));
        var after = await Store.AcquireAsync([counter], false, CancellationToken.None);
        Assert.True(after.Granted);
        Assert.Equal(3, after.Remaining[0]);
    }
}

[CollectionDefinition(nameof(UsesRedis))]
public sealed class UsesRedis : ICollectionFixture<RedisServer>;
