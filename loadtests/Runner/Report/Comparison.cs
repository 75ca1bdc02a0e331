using LoadTests.Runner.Systems;

namespace LoadTests.Runner.Report;

/// <summary>The derived figures of a run: what each system adds over the direct call, and the ratios between systems.</summary>
internal sealed class Comparison(IReadOnlyList<SystemResult> results)
{
    public IReadOnlyList<SystemResult> Results => results;

    public SystemResult? Direct => Find(SystemCatalog.Direct);

    public SystemResult? DirectAgain => Find(SystemCatalog.DirectAgain);

    /// <summary>
    /// What this run cannot resolve, for one "added" metric: the larger of how far the direct call itself
    /// moved between the start and the end of the run, and the deepest below-zero "added" figure of any
    /// system (no proxy makes a call faster than calling direct, so that much is noise too). Null when the
    /// run has neither a second direct pass nor a figure below zero.
    /// </summary>
    public double? Noise(Func<SystemResult, double?> added)
    {
        var drift = DirectAgain is { } again && added(again) is { } moved && !double.IsNaN(moved) ? Math.Abs(moved) : (double?)null;
        var belowZero = results.Where(r => r.Id != SystemCatalog.Direct).Select(added).OfType<double>()
            .Where(v => v < 0).Select(v => -v).DefaultIfEmpty().Max();
        return drift is null && belowZero == 0 ? null : Math.Max(drift ?? 0, belowZero);
    }

    public SystemResult? Find(string id) => results.FirstOrDefault(r => r.Id == id);

    public double? AddedModerateP50(SystemResult r) => Minus(r.Moderate?.P50Microseconds, Direct?.Moderate?.P50Microseconds);

    public double? AddedModerateP99(SystemResult r) => Minus(r.Moderate?.P99Microseconds, Direct?.Moderate?.P99Microseconds);

    public double? AddedFirstByteP50(SystemResult r) => Minus(r.Stream?.FirstByte.P50, Direct?.Stream?.FirstByte.P50);

    public double? AddedFirstByteP99(SystemResult r) => Minus(r.Stream?.FirstByte.P99, Direct?.Stream?.FirstByte.P99);

    public double? Added100KP50(SystemResult r) => Minus(r.Prompt100K?.P50Microseconds, Direct?.Prompt100K?.P50Microseconds);

    public double? Added1MP50(SystemResult r) => Minus(r.Prompt1M?.P50Microseconds, Direct?.Prompt1M?.P50Microseconds);

    public static double? ChatRate(SystemResult r) => r.Chat?.Load.RequestsPerSecond;

    public static double? CpuPerRequest(SystemResult r) => r.Chat?.CpuMillisecondsPerRequest;

    public static double? MegabytesPerThousandStreams(SystemResult r) =>
        r.OpenStreams.Where(s => s.Opened > 0).OrderByDescending(s => s.Requested).Select(s => (double?)s.MegabytesPerThousand).FirstOrDefault();

    private static double? Minus(double? a, double? b) => a is null || b is null || double.IsNaN(a.Value) || double.IsNaN(b.Value) ? null : a - b;
}
