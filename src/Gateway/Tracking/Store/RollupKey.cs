namespace Gateway.Tracking.Store;

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
