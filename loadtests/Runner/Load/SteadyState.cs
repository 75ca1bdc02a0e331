namespace LoadTests.Runner.Load;

/// <summary>
/// Decides when a system has reached its steady throughput, from successive equal slices of load at saturation.
/// A .NET process is far from its final speed for its first seconds under load: methods run as quick tier-0 code,
/// then instrumented, until the tiered JIT (with dynamic PGO) has recompiled them, which on 2 busy cores takes the
/// gateway ~20 s and plain YARP ~5 s. Measuring before then compares JIT progress, not proxies. Steady is
/// <see cref="RequiredFlatSlices"/> slices in a row that beat the best earlier slice by no more than
/// <see cref="Tolerance"/>: noise can make a slice slower, never (for long) faster.
/// </summary>
internal sealed class SteadyState(double tolerance = SteadyState.DefaultTolerance, int requiredFlatSlices = SteadyState.DefaultFlatSlices, int minimumSlices = 3)
{
    public const double DefaultTolerance = 0.05;

    public const int DefaultFlatSlices = 2;

    private readonly List<double> _rates = [];
    private double _best;
    private int _flat;

    /// <summary>Requests per second of each slice so far.</summary>
    public IReadOnlyList<double> Rates => _rates;

    public bool Reached => _rates.Count >= minimumSlices && _flat >= requiredFlatSlices;

    /// <summary>Adds a slice's rate; true once the throughput has stopped rising.</summary>
    public bool Add(double requestsPerSecond)
    {
        if (_rates.Count > 0)
        {
            _flat = requestsPerSecond > _best * (1 + tolerance) ? 0 : _flat + 1;
        }

        _best = Math.Max(_best, requestsPerSecond);
        _rates.Add(requestsPerSecond);
        return Reached;
    }
}
