using Gateway.Tests.Support;
using Gateway.Tracking;
using Gateway.Tracking.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Gateway.Tests.Tracking;

/// <summary>Nothing lost: a store that fails sends batches to the journal, which is replayed in order, once; shutdown drains the queue.</summary>
public sealed class TraceWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-writer-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string Config(string tracking) => $$"""
        server: { auth: none }
        providers: { demo: { type: mock } }
        endpoints: { chat: { targets: [ { provider: demo, model: m } ] } }
        tracking: { store: "sqlite:{{Path.Combine(_directory, "traces.db")}}", journal: "{{Path.Combine(_directory, "journal")}}", {{tracking}} }
        """;

    private static async Task SendAsync(GatewayHost gateway, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat", $"request {i}")));
            response.EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task A_failing_store_sends_batches_to_the_journal_and_gets_them_once_when_it_is_back()
    {
        var store = new SwitchableStore(new SqliteTraceStore(Path.Combine(_directory, "traces.db")));
        await using var gateway = await GatewayHost.StartAsync(Config("flush_interval: 10ms, retry_interval: 1h"),
            services => services.Replace(ServiceDescriptor.Singleton<ITraceStore>(store)));
        var writer = gateway.Writer();
        await SendAsync(gateway, 5);
        await writer.WhenEnqueuedAsync(5).WaitAsync(GatewayHost.Bound);
        await writer.FlushAsync(CancellationToken.None).WaitAsync(GatewayHost.Bound);
        store.Down = true;

        await SendAsync(gateway, 30);
        await writer.WhenEnqueuedAsync(35).WaitAsync(GatewayHost.Bound);
        await writer.FlushAsync(CancellationToken.None).WaitAsync(GatewayHost.Bound);

        Assert.Equal(30, writer.Journal.PendingTraces());
        Assert.Equal(5, await store.Inner.CountAsync());
        store.Down = false;
        await SendAsync(gateway, 2); // still within retry_interval: journaled behind the others, in order
        await writer.WhenEnqueuedAsync(37).WaitAsync(GatewayHost.Bound);
        await writer.FlushAsync(CancellationToken.None).WaitAsync(GatewayHost.Bound);
        Assert.Equal(32, writer.Journal.PendingTraces());

        await writer.FlushAsync(CancellationToken.None, retryStoreNow: true).WaitAsync(GatewayHost.Bound);

        Assert.False(writer.Journal.HasPending);
        Assert.Equal(37, await store.Inner.CountAsync());
        var report = await Gateway.Usage.UsageReport.RunAsync(store.Inner, DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue.AddYears(-1), [], null, CancellationToken.None);
        Assert.Equal(37, report.Totals.Sums.Requests);
        Assert.True(store.WritesRefused > 0);
    }

    [Fact]
    public async Task A_writer_that_falls_behind_never_holds_up_a_request_and_keeps_the_usage_of_what_its_queue_cannot_hold()
    {
        var store = new SwitchableStore(new SqliteTraceStore(Path.Combine(_directory, "traces.db")))
        {
            Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously),
        };
        await using var gateway = await GatewayHost.StartAsync(Config("flush_interval: 10ms, batch_size: 1, queue_capacity: 2, write_timeout: 1h"),
            services => services.Replace(ServiceDescriptor.Singleton<ITraceStore>(store)));
        var meters = gateway.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var compacted = new MetricCollector<long>(meters, "Gateway.Tracking", "gateway.tracking.traces_compacted");
        using var dropped = new MetricCollector<long>(meters, "Gateway.Tracking", "gateway.tracking.traces_dropped");
        var writer = gateway.Writer();
        await SendAsync(gateway, 1);
        await store.WriteStarted.Task.WaitAsync(GatewayHost.Bound); // the writer is stuck on the first trace

        // Two fill the queue, two go to the overflow without their spans, four find both full: none of them waits.
        await SendAsync(gateway, 8).WaitAsync(GatewayHost.Bound);
        await writer.WhenEnqueuedAsync(9).WaitAsync(GatewayHost.Bound);
        store.Gate.SetResult();
        await writer.FlushAsync(CancellationToken.None).WaitAsync(GatewayHost.Bound);

        Assert.Equal((2, 4), (compacted.GetMeasurementSnapshot().Sum(m => m.Value), dropped.GetMeasurementSnapshot().Sum(m => m.Value)));
        var page = await store.Inner.QueryAsync(new TraceQuery { Limit = 50 }, CancellationToken.None);
        Assert.Equal(5, page.Traces.Count);
        var whole = await Task.WhenAll(page.Traces.Select(t => store.Inner.GetAsync(t.RequestId, CancellationToken.None)));
        Assert.Equal(2, whole.Count(t => t!.Spans.Count == 0));
        Assert.All(whole, t => Assert.True(t!.PromptTokens > 0 && t.CompletionTokens > 0));
        var report = await Gateway.Usage.UsageReport.RunAsync(store.Inner, DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue.AddYears(-1), [], null, CancellationToken.None);
        Assert.Equal((5, whole.Sum(t => t!.PromptTokens)), (report.Totals.Sums.Requests, report.Totals.Sums.PromptTokens));
    }

    [Fact]
    public async Task Shutdown_writes_every_queued_trace_before_the_process_ends()
    {
        var gateway = await GatewayHost.StartAsync(Config("flush_interval: 1h, batch_size: 10000"));
        await SendAsync(gateway, 25);
        await gateway.Writer().WhenEnqueuedAsync(25).WaitAsync(GatewayHost.Bound);

        await gateway.DisposeAsync();

        await using var store = new SqliteTraceStore(Path.Combine(_directory, "traces.db"));
        Assert.Equal(25, await store.CountAsync());
    }

    [Fact]
    public async Task Traces_journaled_by_an_earlier_run_are_replayed_at_start_up()
    {
        using (var journal = new TraceJournal(Path.Combine(_directory, "journal")))
        {
            journal.Append([TraceStoreContract.Trace(1), TraceStoreContract.Trace(2)]);
        }

        await using var gateway = await GatewayHost.StartAsync(Config("flush_interval: 10ms"));
        await gateway.Writer().FlushAsync(CancellationToken.None).WaitAsync(GatewayHost.Bound);

        Assert.Equal(2, await gateway.Writer().Store.CountAsync());
        Assert.False(gateway.Writer().Journal.HasPending);
    }

    [Fact]
    public async Task With_tracking_off_nothing_is_written_answers_still_carry_a_request_id_and_the_reading_apis_say_so()
    {
        await using (var gateway = await GatewayHost.StartAsync(Config("enabled: false")))
        {
            using var chat = await gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));
            chat.EnsureSuccessStatusCode();
            Assert.Matches("^[0-9a-f]{32}$", chat.Headers.GetValues("x-request-id").Single()); // untraced answers are still named

            using var usage = await gateway.Client.GetAsync("/api/usage");
            Assert.Equal(System.Net.HttpStatusCode.NotFound, usage.StatusCode);
            Assert.Equal("tracking_disabled", (await Http.ReadErrorAsync(usage)).Code);
        }

        Assert.Empty(Directory.GetFileSystemEntries(_directory)); // no database, no journal
    }

    [Fact]
    public async Task The_hourly_purge_applies_the_retention_in_the_config()
    {
        await using var gateway = await GatewayHost.StartAsync(Config("retention: { traces: 2d, bodies: 1d, usage: 30d }"));
        var store = gateway.Writer().Store;
        await gateway.Writer().EnsureMigratedAsync(CancellationToken.None); // the writer migrates in the background
        var now = TimeProvider.System.GetUtcNow();
        long Us(TimeSpan age) => (now - age - DateTimeOffset.UnixEpoch).Ticks / 10;
        await store.WriteAsync(
        [
            TraceStoreContract.Trace(1) with { StartedAtUs = Us(TimeSpan.FromDays(3)) },
            TraceStoreContract.Trace(2) with { StartedAtUs = Us(TimeSpan.FromHours(36)), RequestBody = "kept a day" },
            TraceStoreContract.Trace(3) with { StartedAtUs = Us(TimeSpan.FromHours(1)), RequestBody = "fresh" },
        ], CancellationToken.None);

        var result = await gateway.Services.GetRequiredService<TracePurger>().PurgeAsync(CancellationToken.None);

        Assert.Equal(new PurgeResult(1, 1, 0), result);
        Assert.Null((await store.GetAsync(TraceStoreContract.Trace(2).RequestId, CancellationToken.None))!.RequestBody);
        Assert.Equal("fresh", (await store.GetAsync(TraceStoreContract.Trace(3).RequestId, CancellationToken.None))!.RequestBody);
    }

    /// <summary>A real store that can be made to refuse writes, as a store that is down does.</summary>
    private sealed class SwitchableStore(SqliteTraceStore inner) : ITraceStore
    {
        public SqliteTraceStore Inner => inner;

        public volatile bool Down;

        /// <summary>Set: every write waits for it (a store that has stopped answering), after saying it started.</summary>
        public TaskCompletionSource? Gate;

        public readonly TaskCompletionSource WriteStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int WritesRefused;

        public string Kind => inner.Kind;

        public Task MigrateAsync(CancellationToken cancellationToken) => inner.MigrateAsync(cancellationToken);

        public async Task<int> WriteAsync(IReadOnlyList<TraceRecord> batch, CancellationToken cancellationToken)
        {
            if (Gate is { } gate)
            {
                WriteStarted.TrySetResult();
                await gate.Task.WaitAsync(cancellationToken);
            }

            if (Down)
            {
                Interlocked.Increment(ref WritesRefused);
                throw new TimeoutException("the store is down");
            }

            return await inner.WriteAsync(batch, cancellationToken);
        }

        public Task<TracePage> QueryAsync(TraceQuery query, CancellationToken cancellationToken) => inner.QueryAsync(query, cancellationToken);

        public Task<TraceRecord?> GetAsync(string requestId, CancellationToken cancellationToken) => inner.GetAsync(requestId, cancellationToken);

        public Task<IReadOnlyList<UsageRow>> UsageAsync(UsageQuery query, CancellationToken cancellationToken) => inner.UsageAsync(query, cancellationToken);

        public Task<PurgeResult> PurgeAsync(DateTimeOffset tracesBefore, DateTimeOffset bodiesBefore, DateTimeOffset usageBefore, long? keepNewest, CancellationToken cancellationToken) =>
            inner.PurgeAsync(tracesBefore, bodiesBefore, usageBefore, keepNewest, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

internal static class StoreCounting
{
    /// <summary>How many traces the store holds (pages through them all).</summary>
    public static async Task<int> CountAsync(this ITraceStore store)
    {
        await store.MigrateAsync(CancellationToken.None);
        var count = 0;
        TraceCursor? cursor = null;
        do
        {
            var page = await store.QueryAsync(new TraceQuery { Limit = 500, Before = cursor }, CancellationToken.None);
            count += page.Traces.Count;
            cursor = page.Next;
        }
        while (cursor is not null);
        return count;
    }
}
