using Gateway.Configuration;
using Gateway.Configuration.Model;
using Gateway.Tracking.Store;

namespace Gateway.Tracking;

/// <summary>Opens the store tracking.store names, and finds the journal's folder; relative paths are relative to gateway.yaml.</summary>
internal static class TrackingStores
{
    public static ITraceStore Open(TrackingConfig tracking, ConfigSource source)
    {
        var store = tracking.Store;
        return store.StartsWith("sqlite:", StringComparison.Ordinal)
            ? new SqliteTraceStore(Resolve(store["sqlite:".Length..], source))
            : PostgresTraceStore.FromUrl(store);
    }

    public static string JournalDirectory(TrackingConfig tracking, ConfigSource source)
    {
        if (tracking.Journal is { } journal)
        {
            return Resolve(journal, source);
        }

        return tracking.Store.StartsWith("sqlite:", StringComparison.Ordinal)
            ? Resolve(tracking.Store["sqlite:".Length..], source) + ".journal"
            : Resolve("tracking-journal", source);
    }

    private static string Resolve(string path, ConfigSource source)
    {
        var baseDirectory = source.FilePath is { } file ? Path.GetDirectoryName(file)! : Directory.GetCurrentDirectory();
        return Path.GetFullPath(Path.Combine(baseDirectory, path));
    }
}
