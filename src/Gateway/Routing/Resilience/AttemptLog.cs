namespace Gateway.Routing.Resilience;

/// <summary>One attempt the router made (or skipped) for a request, for the response headers, the error message and the trace.</summary>
/// <param name="Outcome">served, failed, broken (after the answer started), refused, skipped (circuit open) or caller_gone.</param>
/// <param name="Status">The HTTP status the attempt ended with, where it had one.</param>
/// <param name="Code">The error code, for failures.</param>
internal sealed record AttemptRecord(string Provider, string Model, string Outcome, int? Status, string? Code, TimeSpan Latency)
{
    public override string ToString() => Outcome switch
    {
        "skipped" => $"{Provider}/{Model}: skipped (circuit open)",
        "failed" or "broken" => $"{Provider}/{Model}: {Code ?? Status?.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
        _ => $"{Provider}/{Model}: {Outcome}",
    };
}

/// <summary>Every attempt of one request, in order, for the error message and the route's outcome.</summary>
internal sealed class AttemptLog
{
    /// <summary>The target of the latest call: the one that answered, or the last one tried.</summary>
    public Tracking.TargetName? Target { get; set; }

    private readonly List<AttemptRecord> _attempts = [];

    public IReadOnlyList<AttemptRecord> Attempts => _attempts;

    /// <summary>Calls actually sent to a provider, retries included; skipped targets are not calls.</summary>
    public int Calls { get; private set; }

    public void Add(AttemptRecord record)
    {
        _attempts.Add(record);
        if (record.Outcome != "skipped")
        {
            Calls++;
        }
    }
}
