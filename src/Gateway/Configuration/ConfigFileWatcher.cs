using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Configuration;

/// <summary>
/// Reloads the configuration when its file changes. Editors save in bursts (truncate, write, rename), so
/// events are debounced; the reload itself parses and validates off the request path. A Kubernetes ConfigMap
/// volume never touches the file itself: it writes a new timestamped folder and swaps the "..data" link that
/// the file's own link points through, so changes to "..*" entries count too (a reload of unchanged bytes is
/// recognised by its hash and changes nothing).
/// </summary>
internal sealed partial class ConfigFileWatcher(ConfigStore store, TimeProvider time, ILogger<ConfigFileWatcher> logger) : IHostedService, IDisposable
{
    public static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);

    private FileSystemWatcher? _watcher;
    private ITimer? _timer;
    private string _fileName = "";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var path = store.Current.Source.FilePath;
        if (path is null)
        {
            return Task.CompletedTask;
        }

        _timer = time.CreateTimer(_ => ReloadNow(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _fileName = Path.GetFileName(path);
        // Watch the directory, not the file: editors that save by renaming replace the file we would watch.
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!)
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += OnChanged;
        _watcher.Created += OnChanged;
        _watcher.Renamed += OnChanged;
        _watcher.EnableRaisingEvents = true;
        Log.Watching(logger, path);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _watcher = null;
        _timer?.Dispose();
        _timer = null;
    }

    private void OnChanged(object sender, FileSystemEventArgs e)
    {
        // Other files beside the config (a SQLite store, logs) change all the time: only the config and the
        // ConfigMap's "..data" links matter.
        if (Concerns(e.Name) || (e is RenamedEventArgs renamed && Concerns(renamed.OldName)))
        {
            _timer?.Change(Debounce, Timeout.InfiniteTimeSpan);
        }
    }

    private bool Concerns(string? name) =>
        name is not null && (name == _fileName || name.StartsWith("..", StringComparison.Ordinal));

    private void ReloadNow()
    {
        try
        {
            store.Reload("file changed");
        }
        catch (Exception ex)
        {
            // A bug in reload must not take the watcher (or the process) down; the last good config keeps serving.
            Log.ReloadCrashed(logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1010, EventName = "ConfigWatching", Level = LogLevel.Information, Message = "Watching {Path} for changes")]
        public static partial void Watching(ILogger logger, string path);

        [LoggerMessage(EventId = 1011, EventName = "ConfigReloadCrashed", Level = LogLevel.Error, Message = "Configuration reload failed unexpectedly")]
        public static partial void ReloadCrashed(ILogger logger, Exception exception);
    }
}
