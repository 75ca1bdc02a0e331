using System.Data;
using System.Data.Common;
using System.Text;
using System.Text.Json;

namespace Gateway.Tracking.Store;

/// <summary>
/// The store's SQL, shared by SQLite and PostgreSQL: the same tables, the same queries. Each engine says how
/// it connects, how it serialises migrations between replicas, and how it sends a batch of statements.
/// Timestamps are Unix microseconds and costs nano-USD, as integers, so both engines sum them exactly.
/// </summary>
internal abstract class SqlTraceStore : ITraceStore
{
    /// <summary>Every schema version, in order; the store records the highest it applied.</summary>
    protected static readonly string[] Migrations =
    [
        """
        CREATE TABLE traces (
            request_id        TEXT PRIMARY KEY,
            trace_id          TEXT NOT NULL,
            span_id           TEXT NOT NULL,
            parent_span_id    TEXT,
            started_at_us     BIGINT NOT NULL,
            duration_ms       DOUBLE PRECISION NOT NULL,
            state             TEXT NOT NULL,
            status_code       INTEGER NOT NULL,
            operation         TEXT NOT NULL,
            stream            INTEGER NOT NULL,
            endpoint          TEXT,
            user_name         TEXT,
            groups            TEXT NOT NULL,
            key_id            TEXT,
            provider          TEXT,
            model             TEXT,
            attempts          INTEGER NOT NULL,
            prompt_tokens     BIGINT NOT NULL,
            completion_tokens BIGINT NOT NULL,
            cached_tokens     BIGINT NOT NULL,
            reasoning_tokens  BIGINT NOT NULL,
            usage_estimated   INTEGER NOT NULL,
            cost_nusd         BIGINT NOT NULL,
            priced            INTEGER NOT NULL,
            ttft_ms           DOUBLE PRECISION,
            error_code        TEXT,
            error_message     TEXT,
            request_body      TEXT,
            response_body     TEXT,
            spans             TEXT NOT NULL
        );
        CREATE INDEX traces_by_time ON traces (started_at_us, request_id);
        CREATE INDEX traces_by_trace_id ON traces (trace_id);
        CREATE INDEX traces_by_user ON traces (user_name, started_at_us);
        CREATE TABLE usage_hourly (
            hour_start         BIGINT NOT NULL,
            endpoint           TEXT NOT NULL,
            user_name          TEXT NOT NULL,
            key_id             TEXT NOT NULL,
            groups             TEXT NOT NULL,
            provider           TEXT NOT NULL,
            model              TEXT NOT NULL,
            requests           BIGINT NOT NULL,
            errors             BIGINT NOT NULL,
            prompt_tokens      BIGINT NOT NULL,
            completion_tokens  BIGINT NOT NULL,
            cached_tokens      BIGINT NOT NULL,
            reasoning_tokens   BIGINT NOT NULL,
            estimated_requests BIGINT NOT NULL,
            cost_nusd          BIGINT NOT NULL,
            PRIMARY KEY (hour_start, endpoint, user_name, key_id, groups, provider, model)
        );
        """,
    ];

    /// <summary>The end of a rollup insert: a row that exists already gets the new sums added to it.</summary>
    protected const string AddToRollup = """
         ON CONFLICT (hour_start, endpoint, user_name, key_id, groups, provider, model) DO UPDATE SET
            requests = usage_hourly.requests + excluded.requests,
            errors = usage_hourly.errors + excluded.errors,
            prompt_tokens = usage_hourly.prompt_tokens + excluded.prompt_tokens,
            completion_tokens = usage_hourly.completion_tokens + excluded.completion_tokens,
            cached_tokens = usage_hourly.cached_tokens + excluded.cached_tokens,
            reasoning_tokens = usage_hourly.reasoning_tokens + excluded.reasoning_tokens,
            estimated_requests = usage_hourly.estimated_requests + excluded.estimated_requests,
            cost_nusd = usage_hourly.cost_nusd + excluded.cost_nusd
        """;

    private const string SummaryColumns = """
        request_id, trace_id, span_id, parent_span_id, started_at_us, duration_ms, state, status_code, operation, stream,
        endpoint, user_name, groups, key_id, provider, model, attempts, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens,
        usage_estimated, cost_nusd, priced, ttft_ms, error_code, error_message
        """;

    public abstract string Kind { get; }

    /// <summary>The newest schema version this build knows.</summary>
    public static int SchemaVersion => Migrations.Length;

    public abstract ValueTask DisposeAsync();

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await BeginMigrationAsync(connection, cancellationToken);
        await ExecuteAsync(connection, transaction, "CREATE TABLE IF NOT EXISTS gateway_schema (version INTEGER NOT NULL)", cancellationToken);
        await using var read = Command(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM gateway_schema");
        var current = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        if (current > Migrations.Length)
        {
            throw new InvalidOperationException(
                $"the {Kind} tracking store has schema version {current}, newer than this gateway knows ({Migrations.Length}); run a newer gateway");
        }

        for (var version = current + 1; version <= Migrations.Length; version++)
        {
            await ExecuteAsync(connection, transaction, Migrations[version - 1], cancellationToken);
            await using var record = Command(connection, transaction, "INSERT INTO gateway_schema (version) VALUES (@version)");
            Add(record, "version", version);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<int> WriteAsync(IReadOnlyList<TraceRecord> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return 0;
        }

        var connection = await AcquireWriterAsync(cancellationToken);
        var failed = true;
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var inserted = await InsertTracesAsync(connection, transaction, batch, cancellationToken);
            // Only traces new to the store count in the rollups: a replayed batch adds nothing twice.
            var rollups = inserted.GroupBy(RollupKey.Of).Select(g => (g.Key, Totals: RollupTotals.Sum(g))).ToList();
            await UpsertRollupsAsync(connection, transaction, rollups, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            failed = false;
            return inserted.Count;
        }
        finally
        {
            await ReleaseWriterAsync(connection, failed);
        }
    }

    public async Task<TracePage> QueryAsync(TraceQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        void Filter(string sql, string name, object? value)
        {
            if (value is not null)
            {
                where.Add(sql);
                Add(command, name, value);
            }
        }

        Filter("started_at_us >= @from", "from", query.From is { } from ? ToUs(from) : null);
        Filter("started_at_us < @to", "to", query.To is { } to ? ToUs(to) : null);
        Filter("endpoint = @endpoint", "endpoint", query.Endpoint);
        Filter("user_name = @user", "user", query.User);
        Filter(@"groups LIKE @group ESCAPE '\'", "group", query.Group is null ? null : "%," + EscapeLike(query.Group) + ",%");
        Filter("model = @model", "model", query.Model);
        Filter("provider = @provider", "provider", query.Provider);
        Filter("state = @state", "state", query.State);
        Filter("status_code = @status", "status", query.StatusCode);
        Filter("trace_id = @trace_id", "trace_id", query.TraceId);
        if (query.Before is { } before)
        {
            where.Add("(started_at_us < @before_us OR (started_at_us = @before_us AND request_id < @before_id))");
            Add(command, "before_us", before.StartedAtUs);
            Add(command, "before_id", before.RequestId);
        }

        Add(command, "limit", query.Limit + 1);
        command.CommandText = $"SELECT {SummaryColumns} FROM traces {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} " +
            "ORDER BY started_at_us DESC, request_id DESC LIMIT @limit";
        var traces = new List<TraceRecord>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                traces.Add(ReadTrace(reader, withDetail: false));
            }
        }

        TraceCursor? next = null;
        if (traces.Count > query.Limit)
        {
            traces.RemoveAt(traces.Count - 1);
            next = new TraceCursor(traces[^1].StartedAtUs, traces[^1].RequestId);
        }

        return new TracePage(traces, next);
    }

    public async Task<TraceRecord?> GetAsync(string requestId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, $"SELECT {SummaryColumns}, request_body, response_body, spans FROM traces WHERE request_id = @id");
        Add(command, "id", requestId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadTrace(reader, withDetail: true) : null;
    }

    public async Task<IReadOnlyList<UsageRow>> UsageAsync(UsageQuery query, CancellationToken cancellationToken)
    {
        var dimensions = query.Dimensions;
        // Day and hour both come from hour_start; a day is the hour rounded down to midnight UTC.
        var columns = new List<(UsageDimension Dimension, string Sql)>();
        if (dimensions.Contains(UsageDimension.Hour))
        {
            columns.Add((UsageDimension.Hour, "hour_start"));
        }
        else if (dimensions.Contains(UsageDimension.Day))
        {
            columns.Add((UsageDimension.Day, "hour_start - (hour_start % 86400)"));
        }

        foreach (var (dimension, column) in new[]
                 {
                     (UsageDimension.Endpoint, "endpoint"), (UsageDimension.User, "user_name"), (UsageDimension.Key, "key_id"),
                     (UsageDimension.Group, "groups"), (UsageDimension.Provider, "provider"), (UsageDimension.Model, "model"),
                 })
        {
            if (dimensions.Contains(dimension))
            {
                columns.Add((dimension, column));
            }
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var select = string.Join("", columns.Select(c => c.Sql + ", "));
        var groupBy = columns.Count == 0 ? "" : "GROUP BY " + string.Join(", ", columns.Select(c => c.Sql));
        var userFilter = query.User is null ? "" : " AND user_name = @user";
        command.CommandText = $"""
            SELECT {select}SUM(requests), SUM(errors), SUM(prompt_tokens), SUM(completion_tokens), SUM(cached_tokens),
                SUM(reasoning_tokens), SUM(estimated_requests), SUM(cost_nusd)
            FROM usage_hourly WHERE hour_start >= @from AND hour_start < @to{userFilter} {groupBy}
            """;
        Add(command, "from", query.From.ToUnixTimeSeconds());
        Add(command, "to", query.To.ToUnixTimeSeconds());
        if (query.User is not null)
        {
            Add(command, "user", query.User);
        }

        var rows = new List<UsageRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new UsageRow();
            for (var i = 0; i < columns.Count; i++)
            {
                row = columns[i].Dimension switch
                {
                    UsageDimension.Hour or UsageDimension.Day => row with { HourStart = reader.GetInt64(i) },
                    UsageDimension.Endpoint => row with { Endpoint = reader.GetString(i) },
                    UsageDimension.User => row with { User = reader.GetString(i) },
                    UsageDimension.Key => row with { KeyId = reader.GetString(i) },
                    UsageDimension.Group => row with { Groups = reader.GetString(i) },
                    UsageDimension.Provider => row with { Provider = reader.GetString(i) },
                    _ => row with { Model = reader.GetString(i) },
                };
            }

            var n = columns.Count;
            if (reader.IsDBNull(n))
            {
                continue; // no rows at all: SUM over nothing
            }

            rows.Add(row with
            {
                Requests = SumAt(reader, n),
                Errors = SumAt(reader, n + 1),
                PromptTokens = SumAt(reader, n + 2),
                CompletionTokens = SumAt(reader, n + 3),
                CachedTokens = SumAt(reader, n + 4),
                ReasoningTokens = SumAt(reader, n + 5),
                EstimatedRequests = SumAt(reader, n + 6),
                CostNanoUsd = SumAt(reader, n + 7),
            });
        }

        return rows;
    }

    public async Task<PurgeResult> PurgeAsync(DateTimeOffset tracesBefore, DateTimeOffset bodiesBefore, DateTimeOffset usageBefore, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var traces = Command(connection, transaction, "DELETE FROM traces WHERE started_at_us < @before");
        Add(traces, "before", ToUs(tracesBefore));
        var tracesDeleted = await traces.ExecuteNonQueryAsync(cancellationToken);
        await using var bodies = Command(connection, transaction,
            "UPDATE traces SET request_body = NULL, response_body = NULL WHERE started_at_us < @before AND (request_body IS NOT NULL OR response_body IS NOT NULL)");
        Add(bodies, "before", ToUs(bodiesBefore));
        var bodiesCleared = await bodies.ExecuteNonQueryAsync(cancellationToken);
        await using var usage = Command(connection, transaction, "DELETE FROM usage_hourly WHERE hour_start < @before");
        Add(usage, "before", usageBefore.ToUnixTimeSeconds());
        var usageDeleted = await usage.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new PurgeResult(tracesDeleted, bodiesCleared, usageDeleted);
    }

    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>The connection a batch is written on: by default a pooled one of its own.</summary>
    protected virtual Task<DbConnection> AcquireWriterAsync(CancellationToken cancellationToken) => OpenAsync(cancellationToken);

    /// <summary>Done with the batch's connection; <paramref name="failed"/> when the batch did not commit.</summary>
    protected virtual ValueTask ReleaseWriterAsync(DbConnection connection, bool failed) => connection.DisposeAsync();

    /// <summary>A transaction that only one replica at a time holds while migrating.</summary>
    protected abstract Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Inserts the batch's traces, skipping those already stored; returns those that were new.</summary>
    protected abstract Task<IReadOnlyList<TraceRecord>> InsertTracesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<TraceRecord> batch, CancellationToken cancellationToken);

    protected abstract Task UpsertRollupsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<(RollupKey Key, RollupTotals Totals)> rollups, CancellationToken cancellationToken);

    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    /// <param name="type">Needed for a null that is not text: PostgreSQL won't put a text null in a number column.</param>
    protected static void Add(DbCommand command, string name, object? value, DbType? type = null)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        parameter.DbType = type ?? value switch
        {
            long => DbType.Int64,
            int => DbType.Int32,
            double => DbType.Double,
            _ => DbType.String,
        };
        command.Parameters.Add(parameter);
    }

    /// <summary>The trace's columns as named parameters (@request_id, …).</summary>
    protected static void AddTrace(DbCommand command, TraceRecord trace)
    {
        foreach (var (name, value, type) in TraceColumns(trace))
        {
            // With its prefix, SQLite finds a parameter in one lookup instead of trying @, $ and : in turn.
            Add(command, "@" + name, value, type);
        }
    }

    /// <summary>Reuses the parameters <see cref="AddTrace"/> made (a prepared statement, executed once per trace).</summary>
    protected static void SetTrace(DbCommand command, TraceRecord trace)
    {
        var i = 0;
        foreach (var (_, value, _) in TraceColumns(trace))
        {
            command.Parameters[i++].Value = value ?? DBNull.Value;
        }
    }

    private static IEnumerable<(string Name, object? Value, DbType? Type)> TraceColumns(TraceRecord trace)
    {
        yield return ("request_id", trace.RequestId, null);
        yield return ("trace_id", trace.TraceId, null);
        yield return ("span_id", trace.SpanId, null);
        yield return ("parent_span_id", trace.ParentSpanId, null);
        yield return ("started_at_us", trace.StartedAtUs, null);
        yield return ("duration_ms", trace.DurationMs, null);
        yield return ("state", trace.State, null);
        yield return ("status_code", trace.StatusCode, null);
        yield return ("operation", trace.Operation, null);
        yield return ("stream", trace.Stream ? 1 : 0, null);
        yield return ("endpoint", trace.Endpoint, null);
        yield return ("user_name", trace.User, null);
        yield return ("groups", GroupsText(trace.Groups), null);
        yield return ("key_id", trace.KeyId, null);
        yield return ("provider", trace.Provider, null);
        yield return ("model", trace.Model, null);
        yield return ("attempts", trace.Attempts, null);
        yield return ("prompt_tokens", trace.PromptTokens, null);
        yield return ("completion_tokens", trace.CompletionTokens, null);
        yield return ("cached_tokens", trace.CachedTokens, null);
        yield return ("reasoning_tokens", trace.ReasoningTokens, null);
        yield return ("usage_estimated", trace.UsageEstimated ? 1 : 0, null);
        yield return ("cost_nusd", trace.CostNanoUsd, null);
        yield return ("priced", trace.Priced ? 1 : 0, null);
        yield return ("ttft_ms", trace.TimeToFirstTokenMs, DbType.Double);
        yield return ("error_code", trace.ErrorCode, null);
        yield return ("error_message", trace.ErrorMessage, null);
        yield return ("request_body", trace.RequestBody, null);
        yield return ("response_body", trace.ResponseBody, null);
        yield return ("spans", SpansJson(trace), null);
    }

    protected static void AddRollup(DbCommand command, RollupKey key, RollupTotals totals)
    {
        foreach (var (name, value) in RollupColumns(key, totals))
        {
            Add(command, "@" + name, value);
        }
    }

    protected static void SetRollup(DbCommand command, RollupKey key, RollupTotals totals)
    {
        var i = 0;
        foreach (var (_, value) in RollupColumns(key, totals))
        {
            command.Parameters[i++].Value = value;
        }
    }

    private static IEnumerable<(string Name, object Value)> RollupColumns(RollupKey key, RollupTotals totals)
    {
        yield return ("hour_start", key.HourStart);
        yield return ("endpoint", key.Endpoint);
        yield return ("user_name", key.User);
        yield return ("key_id", key.KeyId);
        yield return ("groups", key.Groups);
        yield return ("provider", key.Provider);
        yield return ("model", key.Model);
        yield return ("requests", totals.Requests);
        yield return ("errors", totals.Errors);
        yield return ("prompt_tokens", totals.PromptTokens);
        yield return ("completion_tokens", totals.CompletionTokens);
        yield return ("cached_tokens", totals.CachedTokens);
        yield return ("reasoning_tokens", totals.ReasoningTokens);
        yield return ("estimated_requests", totals.Estimated);
        yield return ("cost_nusd", totals.CostNanoUsd);
    }

    /// <summary>Groups as one searchable text: ",a,b," (sorted), "" for none.</summary>
    public static string GroupsText(IReadOnlyList<string> groups) =>
        groups.Count == 0 ? "" : "," + string.Join(",", groups.Order(StringComparer.Ordinal)) + ",";

    protected static string SpansJson(TraceRecord trace) => JsonSerializer.Serialize(trace.Spans, TrackingJson.Default.IReadOnlyListSpanRecord);

    public static IReadOnlyList<string> ParseGroups(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries);

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static long ToUs(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / 10;

    private static long SumAt(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? 0 : Convert.ToInt64(reader.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    private static string EscapeLike(string value) => new StringBuilder(value).Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_").ToString();

    private static TraceRecord ReadTrace(DbDataReader r, bool withDetail)
    {
        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        var trace = new TraceRecord
        {
            RequestId = r.GetString(0),
            TraceId = r.GetString(1),
            SpanId = r.GetString(2),
            ParentSpanId = Text(3),
            StartedAtUs = r.GetInt64(4),
            DurationMs = r.GetDouble(5),
            State = r.GetString(6),
            StatusCode = r.GetInt32(7),
            Operation = r.GetString(8),
            Stream = r.GetInt32(9) != 0,
            Endpoint = Text(10),
            User = Text(11),
            Groups = ParseGroups(r.GetString(12)),
            KeyId = Text(13),
            Provider = Text(14),
            Model = Text(15),
            Attempts = r.GetInt32(16),
            PromptTokens = r.GetInt64(17),
            CompletionTokens = r.GetInt64(18),
            CachedTokens = r.GetInt64(19),
            ReasoningTokens = r.GetInt64(20),
            UsageEstimated = r.GetInt32(21) != 0,
            CostNanoUsd = r.GetInt64(22),
            Priced = r.GetInt32(23) != 0,
            TimeToFirstTokenMs = r.IsDBNull(24) ? null : r.GetDouble(24),
            ErrorCode = Text(25),
            ErrorMessage = Text(26),
        };
        return withDetail
            ? trace with
            {
                RequestBody = Text(27),
                ResponseBody = Text(28),
                Spans = JsonSerializer.Deserialize(r.GetString(29), TrackingJson.Default.IReadOnlyListSpanRecord) ?? [],
            }
            : trace;
    }
}

/// <summary>One row of the hourly rollup: who, where and what, by the hour.</summary>
internal readonly record struct RollupKey(long HourStart, string Endpoint, string User, string KeyId, string Groups, string Provider, string Model)
{
    public static RollupKey Of(TraceRecord trace) => new(
        trace.StartedAtUs / 1_000_000 / 3600 * 3600,
        trace.Endpoint ?? "",
        trace.User ?? "",
        trace.KeyId ?? "",
        SqlTraceStore.GroupsText(trace.Groups),
        trace.Provider ?? "",
        trace.Model ?? "");
}

internal readonly record struct RollupTotals(long Requests, long Errors, long PromptTokens, long CompletionTokens, long CachedTokens, long ReasoningTokens, long Estimated, long CostNanoUsd)
{
    public static RollupTotals Sum(IEnumerable<TraceRecord> traces)
    {
        var totals = default(RollupTotals);
        foreach (var t in traces)
        {
            totals = new RollupTotals(
                totals.Requests + 1,
                totals.Errors + (t.State == "ERROR" ? 1 : 0),
                totals.PromptTokens + t.PromptTokens,
                totals.CompletionTokens + t.CompletionTokens,
                totals.CachedTokens + t.CachedTokens,
                totals.ReasoningTokens + t.ReasoningTokens,
                totals.Estimated + (t.UsageEstimated ? 1 : 0),
                totals.CostNanoUsd + t.CostNanoUsd);
        }

        return totals;
    }
}
