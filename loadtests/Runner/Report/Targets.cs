using LoadTests.Runner.Systems;

namespace LoadTests.Runner.Report;

/// <summary>One target of issue 3 and whether the full configuration met it in this run.</summary>
internal sealed record TargetCheck(string Name, string Goal, string Measured, bool? Met)
{
    public string Verdict => Met switch { true => "met", false => "**missed**", null => "not measured" };
}

/// <summary>The targets the gateway (full configuration) is held to, from the same run's figures.</summary>
internal static class Targets
{
    public static IReadOnlyList<TargetCheck> Evaluate(Comparison run)
    {
        var ours = run.Find(SystemCatalog.GatewayFull);
        var yarp = run.Find(SystemCatalog.Yarp);
        var portkey = run.Find(SystemCatalog.Portkey);
        if (ours is null)
        {
            return [];
        }

        var addedP50 = run.AddedModerateP50(ours);
        var yarpAddedP50 = yarp is null ? null : run.AddedModerateP50(yarp);
        var p50Ratio = Figures.Divide(addedP50, yarpAddedP50);
        var addedP99 = run.AddedModerateP99(ours);
        var cpuRatio = Figures.Divide(Comparison.CpuPerRequest(ours), yarp is null ? null : Comparison.CpuPerRequest(yarp));
        var throughputRatio = Figures.Divide(Comparison.ChatRate(ours), portkey is null ? null : Comparison.ChatRate(portkey));
        var firstByteP99 = run.AddedFirstByteP99(ours);
        var perThousand = Comparison.MegabytesPerThousandStreams(ours);
        var added1M = run.Added1MP50(ours);
        var buffering = ChunkBuffering(run, ours);

        return
        [
            new("added p50 latency, vs plain YARP's", "≤ 2.5×",
                $"{Figures.Ratio(p50Ratio)} ({Figures.Duration(addedP50)} vs {Figures.Duration(yarpAddedP50)})", AtMost(p50Ratio, 2.5)),
            new("added p99 latency at a moderate rate", "≤ 300 µs", Figures.Duration(addedP99), AtMost(addedP99, 300)),
            new("CPU per request, vs plain YARP's", "≤ 2×",
                $"{Figures.Ratio(cpuRatio)} ({Figures.Milliseconds(Comparison.CpuPerRequest(ours))} vs {Figures.Milliseconds(yarp is null ? null : Comparison.CpuPerRequest(yarp))})",
                AtMost(cpuRatio, 2)),
            new("throughput, vs Portkey's", "≥ 10×",
                $"{Figures.Ratio(throughputRatio)} ({Figures.Rate(Comparison.ChatRate(ours))} vs {Figures.Rate(portkey is null ? null : Comparison.ChatRate(portkey))} req/s)",
                throughputRatio is null ? null : throughputRatio >= 10),
            new("added time to first token, p99", "≤ 300 µs", Figures.Duration(firstByteP99), AtMost(firstByteP99, 300)),
            new("no per-chunk buffering (first→last chunk spread, vs direct)", "≥ 0.5× direct's",
                buffering is null ? Figures.NotAvailable : Figures.Ratio(buffering), buffering is null ? null : buffering >= 0.5),
            new("resident memory per 1,000 open streams", "≤ 60 MB", Figures.Megabytes(perThousand), AtMost(perThousand, 60)),
            new("added latency, 1 MB prompt (p50)", "≤ 2 ms", Figures.Duration(added1M), AtMost(added1M, 2000)),
        ];
    }

    /// <summary>
    /// A proxy that held chunks back would deliver them together: the spread between first and last chunk
    /// would shrink well below the upstream's (21 chunk intervals). The ratio to the direct call's spread shows it.
    /// </summary>
    private static double? ChunkBuffering(Comparison run, SystemResult system) =>
        Figures.Divide(system.Stream?.Spread.P50, run.Direct?.Stream?.Spread.P50);

    private static bool? AtMost(double? value, double limit) => value is null || double.IsNaN(value.Value) ? null : value <= limit;
}
