using LoadTests.Runner.Systems;

namespace LoadTests.Runner.Report;

/// <summary>The derived figures of a run: what each system adds over the direct call, and the ratios between systems.</summary>
internal sealed class Comparison(IReadOnlyList<SystemResult> results)
{
    public IReadOnlyList<SystemResult> Results => results;

    public SystemResult? Direct => Find(SystemCatalog.Direct);

    public SystemResult? DirectAgain => Find(SystemCatalog.DirectAgain);

    /// <summary>
    /// How much the same direct call moved between the start and the end of the run, for one metric: an
    /// "added" figure smaller than this is below what this machine could resolve in this run.
    /// </summary>
    public double? Noise(Func<SystemResult, double?> added) => DirectAgain is { } again ? added(again) is { } drift ? Math.Abs(drift) : null : null;

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
