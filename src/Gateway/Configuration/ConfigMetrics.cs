using System.Diagnostics.Metrics;

namespace Gateway.Configuration;

internal sealed class ConfigMetrics
{
    public const string MeterName = "Gateway.Configuration";

    private readonly Counter<long> _reloads;

    public ConfigMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _reloads = meter.CreateCounter<long>("gateway.config.reloads", "{reload}", "Configuration reload attempts by outcome (applied, unchanged, rejected).");
    }

    public void Reload(string outcome)
    {
        if (_reloads.Enabled)
        {
            _reloads.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }
}
