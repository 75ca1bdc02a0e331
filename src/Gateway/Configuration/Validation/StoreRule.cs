namespace Gateway.Configuration.Validation;

internal sealed class StoreRule : IConfigRule
{
    public void Validate(ConfigValidationContext context)
    {
        var config = context.Config;
        if (config.RateLimits is { } limits && limits.Store != "memory" && !IsUrl(limits.Store, "redis", "rediss"))
        {
            context.Error("rate_limits.store", "must be 'memory' or a redis://host:port URL");
        }

        if (config.RateLimits is { } rateLimits)
        {
            if (rateLimits.Timeout > TimeSpan.FromSeconds(5))
            {
                context.Error("rate_limits.timeout", "must be at most 5s: every request waits this long for a store that is down");
            }

            if (rateLimits.Replicas is < 1 or > 10_000)
            {
                context.Error("rate_limits.replicas", "must be between 1 and 10000");
            }

            if (rateLimits.KeyPrefix.Length is 0 or > 64 || rateLimits.KeyPrefix.AsSpan().IndexOfAny("{}") >= 0)
            {
                context.Error("rate_limits.key_prefix", "must be 1 to 64 characters without '{' or '}' (it becomes the hash tag)");
            }
        }

        var store = config.Tracking.Store;
        var isSqlite = store.StartsWith("sqlite:", StringComparison.Ordinal) && store.Length > "sqlite:".Length;
        if (!isSqlite && !IsUrl(store, "postgres", "postgresql"))
        {
            context.Error("tracking.store", "must be sqlite:<path> or a postgres://user@host:port/database URL");
        }

        var tracking = config.Tracking;
        if (tracking.BatchSize is < 1 or > 10_000)
        {
            context.Error("tracking.batch_size", "must be between 1 and 10000");
        }

        if (tracking.QueueCapacity < tracking.BatchSize)
        {
            context.Error("tracking.queue_capacity", $"must be at least batch_size ({tracking.BatchSize})");
        }

        if (tracking.PreviewChars is < 1 or > 1_000_000)
        {
            context.Error("tracking.preview_chars", "must be between 1 and 1000000");
        }

        if (tracking.Retention.MaxTraces is < 1)
        {
            context.Error("tracking.retention.max_traces", "must be at least 1 (leave it out for no limit)");
        }

        if (tracking.Retention.Bodies > tracking.Retention.Traces)
        {
            context.Error("tracking.retention.bodies", "cannot be longer than retention.traces: bodies live inside traces");
        }

        if (config.Tracking.Otlp is { } otlp && !Urls.IsHttpUrl(otlp, out _))
        {
            context.Error("tracking.otlp", $"'{otlp}' is not an absolute http(s) URL of an OTLP collector");
        }
    }

    private static bool IsUrl(string value, params string[] schemes) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && schemes.Contains(uri.Scheme) && uri.Host.Length > 0;
}
