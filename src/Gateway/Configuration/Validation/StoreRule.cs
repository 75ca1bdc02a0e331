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

        var store = config.Tracking.Store;
        var isSqlite = store.StartsWith("sqlite:", StringComparison.Ordinal) && store.Length > "sqlite:".Length;
        if (!isSqlite && !IsUrl(store, "postgres", "postgresql"))
        {
            context.Error("tracking.store", "must be sqlite:<path> or a postgres://user@host:port/database URL");
        }

        if (config.Tracking.Otlp is { } otlp && !Urls.IsHttpUrl(otlp, out _))
        {
            context.Error("tracking.otlp", $"'{otlp}' is not an absolute http(s) URL of an OTLP collector");
        }
    }

    private static bool IsUrl(string value, params string[] schemes) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && schemes.Contains(uri.Scheme) && uri.Host.Length > 0;
}
