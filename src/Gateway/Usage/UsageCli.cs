using Gateway.Configuration;
using Gateway.Providers;
using Gateway.Tracking;

namespace Gateway.Usage;

/// <summary>The usage verb: the same report as GET /api/usage, read straight from the store gateway.yaml names.</summary>
internal static class UsageCli
{
    internal sealed record Arguments(string? Config, string? From, string? To, string? By, string? Interval, string? User, string Format);

    public static async Task<int> RunAsync(Arguments args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var source = ConfigSource.Resolve(args.Config, Environment.GetEnvironmentVariable(ConfigSource.EnvironmentVariable));
        var loaded = ConfigLoader.Load(source, ProviderRegistry.Rules);
        if (!loaded.IsValid)
        {
            foreach (var line in loaded.FormattedErrors)
            {
                await error.WriteLineAsync(line);
            }

            return 1;
        }

        if (UsageReport.TryParseDimensions(args.By, args.Interval, out var dimensions) is { } dimensionError)
        {
            await error.WriteLineAsync("--by/--interval: " + dimensionError);
            return 2;
        }

        var now = TimeProvider.System.GetUtcNow();
        DateTimeOffset from = default, to = now;
        if (args.From is { } fromText && !UsageReport.TryParseTime(fromText, out from) || args.To is { } toText && !UsageReport.TryParseTime(toText, out to))
        {
            await error.WriteLineAsync("--from/--to: expected a date (2026-11-01) or a date and time (2026-11-01T09:00:00Z)");
            return 2;
        }

        if (args.From is null)
        {
            from = new DateTimeOffset(to.Year, to.Month, 1, 0, 0, 0, TimeSpan.Zero);
        }

        var tracking = loaded.Config!.Tracking;
        await using var store = TrackingStores.Open(tracking, source);
        try
        {
            await store.MigrateAsync(cancellationToken);
            var report = await UsageReport.RunAsync(store, from, to, dimensions, args.User, cancellationToken);
            await output.WriteAsync(args.Format switch
            {
                "csv" => report.ToCsv(),
                "json" => report.ToJson() + Environment.NewLine,
                _ => $"Usage {report.From:yyyy-MM-dd HH:mm}Z to {report.To:yyyy-MM-dd HH:mm}Z ({store.Kind}){Environment.NewLine}{report.ToTable()}",
            });
            return 0;
        }
        catch (System.Data.Common.DbException exception)
        {
            await error.WriteLineAsync($"The {store.Kind} tracking store could not be read: {exception.Message}");
            return 1;
        }
    }
}
