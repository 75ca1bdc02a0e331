using System.Data.Common;
using System.Text;
using System.Text.Json;

namespace Gateway.Tracking.Store;

internal abstract partial class SqlTraceStore
{
    private const string SummaryColumns = """
        request_id, trace_id, span_id, parent_span_id, started_at_us, duration_ms, state, status_code, operation, stream,
        endpoint, user_name, groups, key_id, provider, model, attempts, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens,
        usage_estimated, cost_nusd, priced, ttft_ms, error_code, error_message
        """;

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
        await using var command = Command(connection, null, $"SELECT {SummaryColumns}, request_body, response_body, spans, spans_packed, bodies_packed FROM traces WHERE request_id = @id");
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

    public async Task<PurgeResult> PurgeAsync(DateTimeOffset tracesBefore, DateTimeOffset bodiesBefore, DateTimeOffset usageBefore, long? keepNewest, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var traces = Command(connection, transaction, "DELETE FROM traces WHERE started_at_us < @before");
        Add(traces, "before", ToUs(tracesBefore));
        long tracesDeleted = await traces.ExecuteNonQueryAsync(cancellationToken);
        if (keepNewest is { } keep)
        {
            tracesDeleted += await DeleteAllButNewestAsync(connection, transaction, keep, cancellationToken);
        }

        await using var bodies = Command(connection, transaction,
            "UPDATE traces SET request_body = NULL, response_body = NULL, bodies_packed = NULL WHERE started_at_us < @before AND (request_body IS NOT NULL OR response_body IS NOT NULL OR bodies_packed IS NOT NULL)");
        Add(bodies, "before", ToUs(bodiesBefore));
        var bodiesCleared = await bodies.ExecuteNonQueryAsync(cancellationToken);
        await using var usage = Command(connection, transaction, "DELETE FROM usage_hourly WHERE hour_start < @before");
        Add(usage, "before", usageBefore.ToUnixTimeSeconds());
        var usageDeleted = await usage.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new PurgeResult(tracesDeleted, bodiesCleared, usageDeleted);
    }

    /// <summary>
    /// Deletes every trace older than the newest <paramref name="keep"/>: the first one past them (by time, then id,
    /// on the time index) is the boundary, and it goes with everything before it.
    /// </summary>
    private static async Task<int> DeleteAllButNewestAsync(DbConnection connection, DbTransaction transaction, long keep, CancellationToken cancellationToken)
    {
        await using var boundary = Command(connection, transaction,
            "SELECT started_at_us, request_id FROM traces ORDER BY started_at_us DESC, request_id DESC LIMIT 1 OFFSET @keep");
        Add(boundary, "keep", keep);
        long at;
        string id;
        await using (var reader = await boundary.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return 0; // no more than keep traces
            }

            (at, id) = (reader.GetInt64(0), reader.GetString(1));
        }

        await using var delete = Command(connection, transaction,
            "DELETE FROM traces WHERE started_at_us < @at OR (started_at_us = @at AND request_id <= @id)");
        Add(delete, "at", at);
        Add(delete, "id", id);
        return await delete.ExecuteNonQueryAsync(cancellationToken);
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
        if (!withDetail)
        {
            return trace;
        }

        try
        {
            // Rows written before schema 2 keep their detail as text.
            var bodies = r.IsDBNull(31) ? new PackedBodies(Text(27), Text(28)) : TracePacking.UnpackBodies((byte[])r.GetValue(31));
            return trace with
            {
                RequestBody = bodies.RequestBody,
                ResponseBody = bodies.ResponseBody,
                Spans = r.IsDBNull(30)
                    ? JsonSerializer.Deserialize(r.GetString(29), TrackingJson.Default.IReadOnlyListSpanRecord) ?? []
                    : TracePacking.UnpackSpans((byte[])r.GetValue(30)),
            };
        }
        catch (Exception exception) when (exception is InvalidDataException or JsonException or FormatException)
        {
            throw new TraceDetailUnreadableException(trace.RequestId, trace.User, exception.Message, exception);
        }
    }
}
