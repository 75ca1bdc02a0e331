using System.Collections.Frozen;
using Gateway.Configuration.Validation;
using Microsoft.Extensions.Logging;

namespace Gateway.Configuration;

/// <summary>The outcome of a reload attempt.</summary>
internal sealed record ReloadOutcome(bool Applied, bool Unchanged, int Revision, string Hash, IReadOnlyList<string> Errors, DateTimeOffset At);

/// <summary>
/// Holds the current <see cref="GatewaySnapshot"/> and replaces it atomically on reload. A bad edit never
/// replaces a good config: the last good snapshot keeps serving, and the errors are logged and exposed.
/// </summary>
internal sealed partial class ConfigStore
{
    private readonly Lock _reloadLock = new();
    private readonly IProviderRules _providers;
    private readonly ISnapshotCompiler[] _compilers;
    private readonly TimeProvider _time;
    private readonly ILogger<ConfigStore> _logger;
    private readonly ConfigMetrics _metrics;
    private GatewaySnapshot _current;

    public ConfigStore(ConfigLoadResult initial, IProviderRules providers, IEnumerable<ISnapshotCompiler> compilers, TimeProvider time, ILogger<ConfigStore> logger, ConfigMetrics metrics)
    {
        if (!initial.IsValid)
        {
            throw new InvalidOperationException("the initial configuration must be valid; the host checks it before starting");
        }

        _providers = providers;
        _compilers = [.. compilers];
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _current = Compile(initial, revision: 1);
        Log.Loaded(_logger, initial.Source.DisplayName, _current.Revision, _current.ShortHash);
    }

    public GatewaySnapshot Current => Volatile.Read(ref _current);

    /// <summary>The last reload that was rejected, while it is still the most recent attempt; null once a good one lands.</summary>
    public ReloadOutcome? LastError { get; private set; }

    /// <summary>Raised after every reload attempt (applied, unchanged or rejected).</summary>
    public event Action<ReloadOutcome>? Reloaded;

    public ReloadOutcome Reload(string reason)
    {
        ReloadOutcome outcome;
        lock (_reloadLock)
        {
            var current = Current;
            var result = RejectRestartOnlyChanges(ConfigLoader.Load(current.Source, _providers), current);
            var now = _time.GetUtcNow();
            GatewaySnapshot? next = null;
            if (result.IsValid && result.Hash != current.Hash)
            {
                (next, result) = TryCompile(result, current.Revision + 1);
            }

            if (!result.IsValid)
            {
                var errors = result.FormattedErrors.ToArray();
                outcome = new ReloadOutcome(false, false, current.Revision, result.Hash, errors, now);
                LastError = outcome;
                if (_logger.IsEnabled(LogLevel.Error))
                {
                    Log.ReloadRejected(_logger, current.Source.DisplayName, reason, errors.Length, string.Join(Environment.NewLine, errors), current.Revision);
                }
                _metrics.Reload("rejected");
            }
            else if (result.Hash == current.Hash)
            {
                outcome = new ReloadOutcome(false, true, current.Revision, result.Hash, [], now);
                LastError = null;
                _metrics.Reload("unchanged");
            }
            else
            {
                var applied = next!; // compiled above: valid and changed
                Interlocked.Exchange(ref _current, applied);
                LastError = null;
                outcome = new ReloadOutcome(true, false, applied.Revision, applied.Hash, [], now);
                Log.Reloaded(_logger, current.Source.DisplayName, reason, applied.Revision, applied.ShortHash);
                _metrics.Reload("applied");
            }
        }

        Reloaded?.Invoke(outcome);
        return outcome;
    }

    /// <summary>server.listen is bound at start-up; a reload that changes it would describe a server that isn't running.</summary>
    private static ConfigLoadResult RejectRestartOnlyChanges(ConfigLoadResult result, GatewaySnapshot current)
    {
        var listen = result.Config?.Server.Listen;
        if (listen is null || listen == current.Config.Server.Listen)
        {
            return result;
        }

        var error = new ConfigError(new Yaml.SourcePosition(1, 1), "server.listen",
            $"changed from '{current.Config.Server.Listen}' to '{listen}', which needs a restart; the reload was not applied");
        return result with { Config = null, Errors = [error] };
    }

    /// <summary>
    /// A config the validator passed that a feature's compiler still refuses (a bug, or a rule the validator lacks)
    /// is a rejected reload like any other: the last good snapshot stays and the error is reported.
    /// </summary>
    private (GatewaySnapshot? Next, ConfigLoadResult Result) TryCompile(ConfigLoadResult result, int revision)
    {
        try
        {
            return (Compile(result, revision), result);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            var error = new ConfigError(new Yaml.SourcePosition(1, 1), "(config)", $"could not be applied: {exception.Message}");
            return (null, result with { Config = null, Errors = [error] });
        }
    }

    private GatewaySnapshot Compile(ConfigLoadResult result, int revision)
    {
        var config = result.Config!;
        var parts = _compilers.ToFrozenDictionary(c => c.PartType, c => c.Compile(config));
        return new GatewaySnapshot(revision, result.Hash, _time.GetUtcNow(), result.Source, config, parts);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, EventName = "ConfigLoaded", Level = LogLevel.Information, Message = "Configuration {Source} loaded as revision {Revision} ({Hash})")]
        public static partial void Loaded(ILogger logger, string source, int revision, string hash);

        [LoggerMessage(EventId = 1002, EventName = "ConfigReloaded", Level = LogLevel.Information, Message = "Configuration {Source} reloaded ({Reason}): now revision {Revision} ({Hash})")]
        public static partial void Reloaded(ILogger logger, string source, string reason, int revision, string hash);

        [LoggerMessage(EventId = 1003, EventName = "ConfigReloadRejected", Level = LogLevel.Error,
            Message = "Configuration {Source} was not reloaded ({Reason}): {Count} error(s); still serving revision {Revision}.\n{Errors}")]
        public static partial void ReloadRejected(ILogger logger, string source, string reason, int count, string errors, int revision);
    }
}
