using System.Data.Common;
using Npgsql;

namespace Gateway.Tracking.Store;

/// <summary>
/// The shared store for many replicas: PostgreSQL through one pooled <see cref="NpgsqlDataSource"/>. A batch is
/// one transaction of two statements, the traces and their rollups, each sending its rows as column arrays.
/// </summary>
internal sealed class PostgresTraceStore(NpgsqlDataSource dataSource) : SqlTraceStore
{
    // Any fixed number: replicas starting together take this lock, so only one migrates at a time.
    private const long MigrationLockId = 0x6761746577617931;

    public override string Kind => "postgres";

    /// <summary>postgres://user:password@host:port/database?sslmode=require as an Npgsql connection string.</summary>
    public static PostgresTraceStore FromUrl(string url)
    {
        var uri = new Uri(url);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port > 0 ? uri.Port : 5432,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } database ? database : "postgres",
            ApplicationName = "ai-gateway",
            // Bounded waits: a store that hangs sends batches to the journal rather than holding the writer.
            Timeout = 5,
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = pair.Split('=', 2) is [var n, var v] ? (n, Uri.UnescapeDataString(v)) : (pair, "");
            builder[name.Replace('_', ' ')] = value; // sslmode=require, search_path=…, pooling options
        }

        return new PostgresTraceStore(NpgsqlDataSource.Create(builder));
    }

    public override ValueTask DisposeAsync() => dataSource.DisposeAsync();

    protected override string Dialect(string migration) => migration.Replace(" BLOB;", " BYTEA;", StringComparison.Ordinal);

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken);

    protected override async Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = Command(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLockId})");
        await command.ExecuteNonQueryAsync(cancellationToken);
        return transaction;
    }

    /// <summary>
    /// The whole batch as one statement: each column sent as an array and unnested server-side, so PostgreSQL
    /// parses, plans and acknowledges once per batch rather than once per trace.
    /// </summary>
    private const string InsertBatchSql = """
        INSERT INTO traces (request_id, trace_id, span_id, parent_span_id, started_at_us, duration_ms, state, status_code, operation, stream,
            endpoint, user_name, groups, key_id, provider, model, attempts, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens,
            usage_estimated, cost_nusd, priced, ttft_ms, error_code, error_message, spans, spans_packed, bodies_packed)
        SELECT * FROM unnest(@request_id, @trace_id, @span_id, @parent_span_id, @started_at_us, @duration_ms, @state, @status_code, @operation, @stream,
            @endpoint, @user_name, @groups, @key_id, @provider, @model, @attempts, @prompt_tokens, @completion_tokens, @cached_tokens, @reasoning_tokens,
            @usage_estimated, @cost_nusd, @priced, @ttft_ms, @error_code, @error_message, @spans, @spans_packed, @bodies_packed)
        ON CONFLICT (request_id) DO NOTHING
        RETURNING request_id
        """;

    protected override async Task<IReadOnlyList<TraceRecord>> InsertTracesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<TraceRecord> batch, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(InsertBatchSql, (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        var p = command.Parameters;
        T[] Column<T>(Func<TraceRecord, T> value) => [.. batch.Select(value)];
        p.AddWithValue("request_id", Column(t => t.RequestId));
        p.AddWithValue("trace_id", Column(t => t.TraceId));
        p.AddWithValue("span_id", Column(t => t.SpanId));
        p.AddWithValue("parent_span_id", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, Column(t => t.ParentSpanId));
        p.AddWithValue("started_at_us", Column(t => t.StartedAtUs));
        p.AddWithValue("duration_ms", Column(t => t.DurationMs));
        p.AddWithValue("state", Column(t => t.State));
        p.AddWithValue("status_code", Column(t => t.StatusCode));
        p.AddWithValue("operation", Column(t => t.Operation));
        p.AddWithValue("stream", Column(t => t.Stream ? 1 : 0));
        p.AddWithValue("endpoint", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, Column(t => t.Endpoint));
        p.AddWithValue("user_name", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, Column(t => t.User));
        p.AddWithValue("groups", Column(t => GroupsText(t.Groups)));
        p.AddWithValue("key_id", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, Column(t => t.KeyId));
        p.AddWithValue("provider", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, Column(t => t.Provider));
        p.AddWithValue("model", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, Column(t => t.Model));
        p.AddWithValue("attempts", Column(t => t.Attempts));
        p.AddWithValue("prompt_tokens", Column(t => t.PromptTokens));
        p.AddWithValue("completion_tokens", Column(t => t.CompletionTokens));
        p.AddWithValue("cached_tokens", Column(t => t.CachedTokens));
        p.AddWithValue("reasoning_tokens", Column(t => t.ReasoningTokens));
        p.AddWithValue("usage_estimated", Column(t => t.UsageEstimated ? 1 : 0));
        p.AddWithValue("cost_nusd", Column(t => t.CostNanoUsd));
        p.AddWithValue("priced", Column(t => t.Priced ? 1 : 0));
        p.AddWithValue("ttft_ms", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Double, Column(t => t.TimeToFirstTokenMs));
        p.AddWithValue("error_code", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, Column(t => t.ErrorCode));
        p.AddWithValue("error_message", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, Column(t => t.ErrorMessage));
        p.AddWithValue("spans", Column(_ => "[]")); // as the SQLite writer: readable by a schema-1 replica
        p.AddWithValue("spans_packed", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bytea, Column(t => t.PackedSpans ?? TracePacking.PackSpans(t.Spans)));
        p.AddWithValue("bodies_packed", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bytea, Column(t => TracePacking.PackBodies(t.RequestBody, t.ResponseBody)));
        var inserted = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                inserted.Add(reader.GetString(0));
            }
        }

        return [.. batch.Where(t => inserted.Contains(t.RequestId))];
    }

    private const string UpsertRollupsSql = """
        INSERT INTO usage_hourly (hour_start, endpoint, user_name, key_id, groups, provider, model,
            requests, errors, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, estimated_requests, cost_nusd)
        SELECT * FROM unnest(@hour_start, @endpoint, @user_name, @key_id, @groups, @provider, @model,
            @requests, @errors, @prompt_tokens, @completion_tokens, @cached_tokens, @reasoning_tokens, @estimated_requests, @cost_nusd)

        """ + AddToRollup;

    /// <summary>All of a batch's rollup rows as one upsert (the keys are unique within a batch: they were grouped).</summary>
    protected override async Task UpsertRollupsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<(RollupKey Key, RollupTotals Totals)> rollups, CancellationToken cancellationToken)
    {
        if (rollups.Count == 0)
        {
            return;
        }

        await using var command = new NpgsqlCommand(UpsertRollupsSql, (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        var p = command.Parameters;
        T[] Column<T>(Func<(RollupKey Key, RollupTotals Totals), T> value) => [.. rollups.Select(value)];
        p.AddWithValue("hour_start", Column(r => r.Key.HourStart));
        p.AddWithValue("endpoint", Column(r => r.Key.Endpoint));
        p.AddWithValue("user_name", Column(r => r.Key.User));
        p.AddWithValue("key_id", Column(r => r.Key.KeyId));
        p.AddWithValue("groups", Column(r => r.Key.Groups));
        p.AddWithValue("provider", Column(r => r.Key.Provider));
        p.AddWithValue("model", Column(r => r.Key.Model));
        p.AddWithValue("requests", Column(r => r.Totals.Requests));
        p.AddWithValue("errors", Column(r => r.Totals.Errors));
        p.AddWithValue("prompt_tokens", Column(r => r.Totals.PromptTokens));
        p.AddWithValue("completion_tokens", Column(r => r.Totals.CompletionTokens));
        p.AddWithValue("cached_tokens", Column(r => r.Totals.CachedTokens));
        p.AddWithValue("reasoning_tokens", Column(r => r.Totals.ReasoningTokens));
        p.AddWithValue("estimated_requests", Column(r => r.Totals.Estimated));
        p.AddWithValue("cost_nusd", Column(r => r.Totals.CostNanoUsd));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
