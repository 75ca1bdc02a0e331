using System.Data;
using System.Data.Common;

namespace Gateway.Tracking.Store;

internal abstract partial class SqlTraceStore
{
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

    /// <summary>The connection a batch is written on: by default a pooled one of its own.</summary>
    protected virtual Task<DbConnection> AcquireWriterAsync(CancellationToken cancellationToken) => OpenAsync(cancellationToken);

    /// <summary>Done with the batch's connection; <paramref name="failed"/> when the batch did not commit.</summary>
    protected virtual ValueTask ReleaseWriterAsync(DbConnection connection, bool failed) => connection.DisposeAsync();

    /// <summary>Inserts the batch's traces, skipping those already stored; returns those that were new.</summary>
    protected abstract Task<IReadOnlyList<TraceRecord>> InsertTracesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<TraceRecord> batch, CancellationToken cancellationToken);

    protected abstract Task UpsertRollupsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<(RollupKey Key, RollupTotals Totals)> rollups, CancellationToken cancellationToken);

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
        // The schema-1 column is NOT NULL; "[]" lets a replica still on schema 1 (a rolling deploy) show the row
        // without its spans rather than fail to parse it.
        yield return ("spans", "[]", null);
        yield return ("spans_packed", trace.PackedSpans ?? TracePacking.PackSpans(trace.Spans), DbType.Binary);
        yield return ("bodies_packed", TracePacking.PackBodies(trace.RequestBody, trace.ResponseBody), DbType.Binary);
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
}
