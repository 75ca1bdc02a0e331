namespace Gateway.Tracking.Store;

/// <summary>Where traces and usage rollups live: SQLite on one machine, PostgreSQL shared by many replicas.</summary>
internal interface ITraceStore : IAsyncDisposable
{
    /// <summary>sqlite or postgres.</summary>
    string Kind { get; }

    /// <summary>Creates the schema or brings it up to this version; safe when several replicas start at once.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Writes a batch in one transaction: traces not already stored, and their usage added to the hourly
    /// rollups. Idempotent: a batch written twice (a replay after a timeout that did commit) changes nothing
    /// the second time. Returns how many traces were new.
    /// </summary>
    Task<int> WriteAsync(IReadOnlyList<TraceRecord> batch, CancellationToken cancellationToken);

    /// <summary>Traces newest first, without their spans and bodies.</summary>
    Task<TracePage> QueryAsync(TraceQuery query, CancellationToken cancellationToken);

    /// <summary>One trace with its spans and bodies.</summary>
    Task<TraceRecord?> GetAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>Usage rollup rows in [from, to) for the dimensions asked for (before groups are split out).</summary>
    Task<IReadOnlyList<UsageRow>> UsageAsync(UsageQuery query, CancellationToken cancellationToken);

    /// <summary>Deletes traces before <paramref name="tracesBefore"/> and all but the newest <paramref name="keepNewest"/> (when set), clears bodies, drops old rollups.</summary>
    Task<PurgeResult> PurgeAsync(DateTimeOffset tracesBefore, DateTimeOffset bodiesBefore, DateTimeOffset usageBefore, long? keepNewest, CancellationToken cancellationToken);
}

/// <summary>Filters for the trace list; null means any.</summary>
internal sealed record TraceQuery
{
    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public string? Endpoint { get; init; }

    public string? User { get; init; }

    public string? Group { get; init; }

    public string? Model { get; init; }

    public string? Provider { get; init; }

    /// <summary>OK or ERROR.</summary>
    public string? State { get; init; }

    public int? StatusCode { get; init; }

    public string? TraceId { get; init; }

    public int Limit { get; init; } = 50;

    /// <summary>Where the previous page ended (its next_cursor).</summary>
    public TraceCursor? Before { get; init; }
}

internal readonly record struct TraceCursor(long StartedAtUs, string RequestId)
{
    public override string ToString() => $"{StartedAtUs}_{RequestId}";

    public static bool TryParse(string? text, out TraceCursor cursor)
    {
        cursor = default;
        var parts = text?.Split('_', 2);
        if (parts is not [var time, var id] || !long.TryParse(time, System.Globalization.CultureInfo.InvariantCulture, out var us) || id.Length is 0 or > 64)
        {
            return false;
        }

        cursor = new TraceCursor(us, id);
        return true;
    }
}

internal sealed record TracePage(IReadOnlyList<TraceRecord> Traces, TraceCursor? Next);

/// <summary>Which rollup dimensions a usage report needs.</summary>
internal sealed record UsageQuery(DateTimeOffset From, DateTimeOffset To, IReadOnlySet<UsageDimension> Dimensions, string? User = null);

internal enum UsageDimension
{
    User,
    Group,
    Key,
    Endpoint,
    Provider,
    Model,
    Day,
    Hour,
}

/// <summary>Summed usage for one combination of dimensions; dimensions not asked for are null.</summary>
internal sealed record UsageRow
{
    public long? HourStart { get; init; }

    public string? Endpoint { get; init; }

    public string? User { get; init; }

    public string? KeyId { get; init; }

    /// <summary>The request's groups as stored (",a,b,"); the report splits them.</summary>
    public string? Groups { get; init; }

    public string? Provider { get; init; }

    public string? Model { get; init; }

    public long Requests { get; init; }

    public long Errors { get; init; }

    public long PromptTokens { get; init; }

    public long CompletionTokens { get; init; }

    public long CachedTokens { get; init; }

    public long ReasoningTokens { get; init; }

    public long EstimatedRequests { get; init; }

    public long CostNanoUsd { get; init; }
}

internal sealed record PurgeResult(long TracesDeleted, long BodiesCleared, long UsageRowsDeleted);
