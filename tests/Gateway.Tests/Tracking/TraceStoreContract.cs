using Gateway.Tests.Support;
using Gateway.Tracking;
using Gateway.Tracking.Store;
using Gateway.Usage;

namespace Gateway.Tests.Tracking;

/// <summary>
/// What every tracking store must do, run against SQLite and against a real PostgreSQL server: the same
/// schema, idempotent batches, the same filters, pages, usage sums and retention.
/// </summary>
public abstract class TraceStoreContract : IAsyncLifetime
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private ITraceStore? _store;

    internal ITraceStore Store => _store!;

    internal abstract Task<ITraceStore> OpenStoreAsync();

    /// <summary>Runs SQL on the store's database directly, as an older gateway (or an operator) would.</summary>
    internal abstract Task ExecuteSqlAsync(string sql);

    public async Task InitializeAsync()
    {
        _store = await OpenStoreAsync();
        await Store.MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await Store.DisposeAsync();

    [Fact]
    public async Task Migrating_again_changes_nothing()
    {
        await Store.WriteAsync([Trace(1)], CancellationToken.None);

        await Store.MigrateAsync(CancellationToken.None);

        Assert.NotNull(await Store.GetAsync(Trace(1).RequestId, CancellationToken.None));
    }

    [Fact]
    public async Task A_batch_written_twice_stores_each_trace_once_and_counts_its_usage_once()
    {
        var batch = Enumerable.Range(0, 20).Select(i => Trace(i)).ToList();

        var first = await Store.WriteAsync(batch, CancellationToken.None);
        var second = await Store.WriteAsync(batch, CancellationToken.None);
        var overlapping = await Store.WriteAsync([.. batch.Skip(15), .. Enumerable.Range(20, 5).Select(i => Trace(i))], CancellationToken.None);

        Assert.Equal((20, 0, 5), (first, second, overlapping));
        var report = await UsageReport.RunAsync(Store, Noon.AddDays(-3), Noon.AddDays(3), [], null, CancellationToken.None);
        Assert.Equal(25, report.Totals.Sums.Requests);
        Assert.Equal(Enumerable.Range(0, 25).Sum(i => Trace(i).PromptTokens), report.Totals.Sums.PromptTokens);
    }

    [Fact]
    public async Task Get_returns_the_trace_with_its_spans_and_bodies()
    {
        var trace = Trace(7) with
        {
            RequestBody = "{\"messages\":[…]}",
            ResponseBody = "Hello, “world” 👋",
            Spans =
            [
                new SpanRecord("gateway chat", "aaaaaaaaaaaaaaaa", null, 1, 12.5, "OK", new Dictionary<string, object?> { ["gateway.user"] = "u1" }),
                new SpanRecord("chat gpt-4o", "bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa", 2, 10.25, "OK",
                    new Dictionary<string, object?> { ["gen_ai.request.model"] = "gpt-4o", ["http.response.status_code"] = 200, ["gateway.time_to_first_token_ms"] = 3.5 }),
            ],
        };
        await Store.WriteAsync([trace], CancellationToken.None);

        var read = await Store.GetAsync(trace.RequestId, CancellationToken.None);

        Assert.NotNull(read);
        Assert.Equal(trace.RequestBody, read.RequestBody);
        Assert.Equal(trace.ResponseBody, read.ResponseBody);
        Assert.Equal(trace.Groups, read.Groups);
        Assert.Equal(trace.CostNanoUsd, read.CostNanoUsd);
        Assert.Equal(["gateway chat", "chat gpt-4o"], read.Spans.Select(s => s.Name));
        Assert.Equal("aaaaaaaaaaaaaaaa", read.Spans[1].ParentSpanId);
        Assert.Equal("gpt-4o", read.Spans[1].Attributes["gen_ai.request.model"]?.ToString());
        Assert.Equal("200", read.Spans[1].Attributes["http.response.status_code"]?.ToString());
        Assert.Null(await Store.GetAsync("no-such-id", CancellationToken.None));
    }

    [Fact]
    public async Task A_trace_written_before_its_detail_was_packed_is_still_read_whole_and_purged()
    {
        // What a schema-1 gateway wrote: the detail as text, nothing packed.
        await Store.WriteAsync([Trace(8)], CancellationToken.None);
        await ExecuteSqlAsync($$$"""
            UPDATE traces SET spans_packed = NULL, bodies_packed = NULL, request_body = 'the old request', response_body = 'the old answer',
                spans = '[{"name":"gateway chat","span_id":"aaaaaaaaaaaaaaaa","parent_span_id":null,"started_at_us":1,"duration_ms":3,"status":"OK","attributes":{"gateway.user":"u1"}}]'
            WHERE request_id = '{{{Trace(8).RequestId}}}'
            """);

        var read = await Store.GetAsync(Trace(8).RequestId, CancellationToken.None);

        Assert.Equal(("the old request", "the old answer"), (read!.RequestBody, read.ResponseBody));
        Assert.Equal("u1", Assert.Single(read.Spans).Attributes["gateway.user"]?.ToString());
        await Store.PurgeAsync(Noon.AddDays(-300), Noon.AddDays(30), Noon.AddDays(-400), keepNewest: null, CancellationToken.None);
        var purged = await Store.GetAsync(Trace(8).RequestId, CancellationToken.None);
        Assert.Equal((null, null), (purged!.RequestBody, purged.ResponseBody));
    }

    [Fact]
    public async Task A_trace_with_nothing_captured_reads_back_without_bodies()
    {
        await Store.WriteAsync([Trace(9)], CancellationToken.None);

        var read = await Store.GetAsync(Trace(9).RequestId, CancellationToken.None);

        Assert.Equal((null, null), (read!.RequestBody, read.ResponseBody));
        Assert.Empty(read.Spans);
    }

    [Fact]
    public async Task Traces_are_listed_newest_first_filtered_and_paged_without_gaps_or_repeats()
    {
        var traces = Enumerable.Range(0, 37).Select(i => Trace(i)).ToList();
        await Store.WriteAsync(traces, CancellationToken.None);

        var seen = new List<string>();
        TraceCursor? cursor = null;
        do
        {
            var page = await Store.QueryAsync(new TraceQuery { Limit = 10, Before = cursor }, CancellationToken.None);
            seen.AddRange(page.Traces.Select(t => t.RequestId));
            cursor = page.Next;
        }
        while (cursor is not null);

        Assert.Equal(traces.OrderByDescending(t => t.StartedAtUs).ThenByDescending(t => t.RequestId, StringComparer.Ordinal).Select(t => t.RequestId), seen);
        async Task<IEnumerable<string>> Ids(TraceQuery query) => (await Store.QueryAsync(query with { Limit = 100 }, CancellationToken.None)).Traces.Select(t => t.RequestId).Order();
        IEnumerable<string> Expected(Func<TraceRecord, bool> where) => traces.Where(where).Select(t => t.RequestId).Order();
        Assert.Equal(Expected(t => t.User == "user2"), await Ids(new TraceQuery { User = "user2" }));
        Assert.Equal(Expected(t => t.Groups.Contains("team_a")), await Ids(new TraceQuery { Group = "team_a" }));
        Assert.Empty(await Ids(new TraceQuery { Group = "team_%" }));
        Assert.Equal(Expected(t => t.Endpoint == "embed"), await Ids(new TraceQuery { Endpoint = "embed" }));
        Assert.Equal(Expected(t => t.Model == "gpt-4o" && t.Provider == "openai"), await Ids(new TraceQuery { Model = "gpt-4o", Provider = "openai" }));
        Assert.Equal(Expected(t => t.State == "ERROR"), await Ids(new TraceQuery { State = "ERROR" }));
        Assert.Equal(Expected(t => t.StatusCode == 429), await Ids(new TraceQuery { StatusCode = 429 }));
        Assert.Equal(Expected(t => t.TraceId == traces[3].TraceId), await Ids(new TraceQuery { TraceId = traces[3].TraceId }));
        var from = DateTimeOffset.UnixEpoch.AddTicks(traces[10].StartedAtUs * 10);
        var to = DateTimeOffset.UnixEpoch.AddTicks(traces[20].StartedAtUs * 10);
        Assert.Equal(Expected(t => t.StartedAtUs >= traces[10].StartedAtUs && t.StartedAtUs < traces[20].StartedAtUs), await Ids(new TraceQuery { From = from, To = to }));
    }

    [Theory]
    [InlineData("user")]
    [InlineData("group")]
    [InlineData("key")]
    [InlineData("endpoint")]
    [InlineData("provider,model")]
    [InlineData("day")]
    [InlineData("hour")]
    [InlineData("user,model,day")]
    public async Task Usage_per_group_by_equals_the_sum_of_the_traces(string groupBy)
    {
        var traces = Enumerable.Range(0, 120).Select(i => Trace(i)).ToList();
        await Store.WriteAsync(traces, CancellationToken.None);
        Assert.Null(UsageReport.TryParseDimensions(groupBy, null, out var dimensions));

        var report = await UsageReport.RunAsync(Store, Noon.AddDays(-3), Noon.AddDays(3), dimensions, null, CancellationToken.None);

        // Expected, straight from the traces: a trace counts once in each of its groups (no group: the "" row).
        var expected = traces
            .SelectMany(t => (dimensions.Contains(UsageDimension.Group) && t.Groups.Count > 0 ? t.Groups : [""]).Select(g => (Keys: string.Join("|", dimensions.Select(d => KeyOf(d, t, g))), Trace: t)))
            .GroupBy(x => x.Keys)
            .ToDictionary(g => g.Key, g => (Requests: g.Count(), Errors: g.Count(x => x.Trace.State == "ERROR"), Prompt: g.Sum(x => x.Trace.PromptTokens),
                Completion: g.Sum(x => x.Trace.CompletionTokens), Cached: g.Sum(x => x.Trace.CachedTokens), Reasoning: g.Sum(x => x.Trace.ReasoningTokens),
                Cost: g.Sum(x => x.Trace.CostNanoUsd)));
        var actual = report.Lines.ToDictionary(l => string.Join("|", l.Keys), l => ((int)l.Sums.Requests, (int)l.Sums.Errors, l.Sums.PromptTokens,
            l.Sums.CompletionTokens, l.Sums.CachedTokens, l.Sums.ReasoningTokens, l.Sums.CostNanoUsd));
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), actual.OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.Equal(traces.Count, report.Totals.Sums.Requests);
        Assert.Equal(traces.Sum(t => t.CostNanoUsd), report.Totals.Sums.CostNanoUsd);
    }

    [Fact]
    public async Task Usage_for_one_user_sees_only_that_user()
    {
        var traces = Enumerable.Range(0, 30).Select(i => Trace(i)).ToList();
        await Store.WriteAsync(traces, CancellationToken.None);

        var report = await UsageReport.RunAsync(Store, Noon.AddDays(-3), Noon.AddDays(3), [UsageDimension.User], "user1", CancellationToken.None);

        Assert.Equal(["user1"], report.Lines.Select(l => l.Keys[0]));
        Assert.Equal(traces.Count(t => t.User == "user1"), report.Totals.Sums.Requests);
    }

    [Fact]
    public async Task Retention_deletes_old_traces_clears_old_bodies_and_keeps_usage_until_its_own_age()
    {
        var old = Trace(1) with { StartedAtUs = Us(Noon.AddDays(-40)), RequestBody = "old" };
        var middle = Trace(2) with { StartedAtUs = Us(Noon.AddDays(-10)), RequestBody = "middle", ResponseBody = "answer" };
        var recent = Trace(3) with { StartedAtUs = Us(Noon.AddDays(-1)), RequestBody = "recent" };
        await Store.WriteAsync([old, middle, recent], CancellationToken.None);

        var result = await Store.PurgeAsync(Noon.AddDays(-30), Noon.AddDays(-7), Noon.AddDays(-400), keepNewest: null, CancellationToken.None);

        Assert.Equal(new PurgeResult(1, 1, 0), result);
        Assert.Null(await Store.GetAsync(old.RequestId, CancellationToken.None));
        var kept = await Store.GetAsync(middle.RequestId, CancellationToken.None);
        Assert.Equal((null, null), (kept!.RequestBody, kept.ResponseBody));
        Assert.Equal("recent", (await Store.GetAsync(recent.RequestId, CancellationToken.None))!.RequestBody);
        var usage = await UsageReport.RunAsync(Store, Noon.AddDays(-60), Noon, [], null, CancellationToken.None);
        Assert.Equal(3, usage.Totals.Sums.Requests);

        await Store.PurgeAsync(Noon.AddDays(-30), Noon.AddDays(-7), Noon.AddDays(-20), keepNewest: null, CancellationToken.None);
        usage = await UsageReport.RunAsync(Store, Noon.AddDays(-60), Noon, [], null, CancellationToken.None);
        Assert.Equal(2, usage.Totals.Sums.Requests);
    }

    [Fact]
    public async Task Retention_by_rows_keeps_the_newest_traces_ties_broken_by_id_and_leaves_usage_alone()
    {
        var at = Us(Noon.AddHours(-1));
        // Two share the boundary's microsecond: the one with the higher id is the newer.
        var traces = new[]
        {
            Trace(1) with { StartedAtUs = at - 3 },
            Trace(2) with { StartedAtUs = at - 2 },
            Trace(3) with { StartedAtUs = at },
            Trace(4) with { StartedAtUs = at },
            Trace(5) with { StartedAtUs = at + 1 },
        };
        await Store.WriteAsync(traces, CancellationToken.None);
        var olderAtBoundary = traces[2..4].MinBy(t => t.RequestId, StringComparer.Ordinal)!;
        var newerAtBoundary = traces[2..4].MaxBy(t => t.RequestId, StringComparer.Ordinal)!;

        var result = await Store.PurgeAsync(Noon.AddDays(-30), Noon.AddDays(-7), Noon.AddDays(-400), keepNewest: 2, CancellationToken.None);

        Assert.Equal(3, result.TracesDeleted);
        var page = await Store.QueryAsync(new TraceQuery { Limit = 10 }, CancellationToken.None);
        Assert.Equal([traces[4].RequestId, newerAtBoundary.RequestId], page.Traces.Select(t => t.RequestId));
        Assert.Null(await Store.GetAsync(olderAtBoundary.RequestId, CancellationToken.None));
        var usage = await UsageReport.RunAsync(Store, Noon.AddDays(-60), Noon.AddDays(1), [], null, CancellationToken.None);
        Assert.Equal(5, usage.Totals.Sums.Requests);
        Assert.Equal(0, (await Store.PurgeAsync(Noon.AddDays(-30), Noon.AddDays(-7), Noon.AddDays(-400), keepNewest: 2, CancellationToken.None)).TracesDeleted);
    }

    /// <summary>Varied but deterministic traces around noon, over three days and hours.</summary>
    internal static TraceRecord Trace(int i) => new()
    {
        RequestId = $"{i:D8}-0000-7000-8000-000000000000".Replace("-", "", StringComparison.Ordinal),
        TraceId = $"{i / 2:D32}",
        SpanId = $"{i:D16}",
        StartedAtUs = Us(Noon.AddHours(i % 50 - 25).AddSeconds(i)),
        DurationMs = 10 + i,
        State = i % 7 == 3 ? "ERROR" : "OK",
        StatusCode = i % 7 == 3 ? (i % 2 == 0 ? 500 : 429) : 200,
        Operation = i % 5 == 0 ? "embeddings" : "chat",
        Stream = i % 3 == 0,
        Endpoint = i % 5 == 0 ? "embed" : "chat",
        User = "user" + i % 4,
        Groups = (i % 3) switch { 0 => ["team_a"], 1 => ["team_a", "team_b"], _ => [] },
        KeyId = "key" + i % 5,
        Provider = i % 2 == 0 ? "openai" : "anthropic",
        Model = i % 2 == 0 ? "gpt-4o" : "claude",
        Attempts = 1 + i % 2,
        PromptTokens = 100 + i * 3,
        CompletionTokens = 20 + i,
        CachedTokens = i % 4 == 0 ? 50 : 0,
        ReasoningTokens = i % 6,
        UsageEstimated = i % 9 == 0,
        CostNanoUsd = 1_000 + i * 37,
        Priced = true,
        TimeToFirstTokenMs = i % 3 == 0 ? 5.5 : null,
        ErrorCode = i % 7 == 3 ? "upstream_error" : null,
    };

    private static string KeyOf(UsageDimension dimension, TraceRecord t, string group) => dimension switch
    {
        UsageDimension.User => t.User!,
        UsageDimension.Group => group,
        UsageDimension.Key => t.KeyId!,
        UsageDimension.Endpoint => t.Endpoint!,
        UsageDimension.Provider => t.Provider!,
        UsageDimension.Model => t.Model!,
        UsageDimension.Day => DateTimeOffset.UnixEpoch.AddTicks(t.StartedAtUs * 10).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        _ => DateTimeOffset.UnixEpoch.AddTicks(t.StartedAtUs * 10).ToString("yyyy-MM-dd'T'HH':00:00Z'", System.Globalization.CultureInfo.InvariantCulture),
    };

    private static long Us(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / 10;
}

public sealed class SqliteTraceStoreTests : TraceStoreContract, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-store-").FullName;

    internal override Task<ITraceStore> OpenStoreAsync() => Task.FromResult<ITraceStore>(new SqliteTraceStore(Path.Combine(_directory, "traces.db")));

    internal override async Task ExecuteSqlAsync(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, "traces.db")};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task A_new_database_is_in_wal_mode_with_16_KB_pages()
    {
        await Store.WriteAsync([Trace(1)], CancellationToken.None);

        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, "traces.db")};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", await command.ExecuteScalarAsync());
        command.CommandText = "PRAGMA page_size";
        Assert.Equal(16384L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_store_from_a_newer_gateway_is_refused_with_a_clear_message()
    {
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, "traces.db")};Pooling=false"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO gateway_schema (version) VALUES (99)";
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Store.MigrateAsync(CancellationToken.None));

        Assert.Equal($"the sqlite tracking store has schema version 99, newer than this gateway knows ({SqlTraceStore.SchemaVersion}); run a newer gateway", error.Message);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

[Collection(UsesPostgres.Name)]
public sealed class PostgresTraceStoreTests(PostgresServer server) : TraceStoreContract
{
    private string? _url;

    internal override async Task<ITraceStore> OpenStoreAsync() => PostgresTraceStore.FromUrl(_url = await server.CreateDatabaseAsync());

    internal override async Task ExecuteSqlAsync(string sql)
    {
        var uri = new Uri(_url!);
        await using var connection = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={uri.Port};Username=gateway;Database={uri.AbsolutePath.TrimStart('/')};Pooling=false");
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class UsesPostgres : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL server";
}
