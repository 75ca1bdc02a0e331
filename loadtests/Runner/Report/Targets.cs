using LoadTests.Runner.Systems;

namespace LoadTests.Runner.Report;

/// <summary>One target of issue 3 and whether the full configuration met it in this run.</summary>
internal sealed record TargetCheck(string Name, string Goal, string Measured, bool? Met, string? Inconclusive = null)
{
    public string Verdict => Met switch
    {
        true => "met",
        false => "**missed**",
        null => Inconclusive ?? "not measured",
    };
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
            Absolute("added p99 latency at a moderate rate", 300, addedP99, run.Noise(run.AddedModerateP99)),
            new("CPU per request, vs plain YARP's", "≤ 2×",
                $"{Figures.Ratio(cpuRatio)} ({Figures.Milliseconds(Comparison.CpuPerRequest(ours))} vs {Figures.Milliseconds(yarp is null ? null : Comparison.CpuPerRequest(yarp))})",
                AtMost(cpuRatio, 2)),
            new("throughput, vs Portkey's", "≥ 10×",
                $"{Figures.Ratio(throughputRatio)} ({Figures.Rate(Comparison.ChatRate(ours))} vs {Figures.Rate(portkey is null ? null : Comparison.ChatRate(portkey))} req/s)",
                throughputRatio is null ? null : throughputRatio >= 10),
            Absolute("added time to first token, p99", 300, firstByteP99, run.Noise(run.AddedFirstByteP99)),
            new("no per-chunk buffering (first→last chunk spread, vs direct)", "≥ 0.5× direct's",
                buffering is null ? Figures.NotAvailable : Figures.Ratio(buffering), buffering is null ? null : buffering >= 0.5),
            new("resident memory per 1,000 open streams", "≤ 60 MB", Figures.Megabytes(perThousand), AtMost(perThousand, 60)),
            Absolute("added latency, 1 MB prompt (p50)", 2000, added1M, run.Noise(run.Added1MP50)),
        ];
    }

    /// <summary>
    /// A proxy that held chunks back would deliver them together: the spread between first and last chunk
    /// would shrink well below the upstream's (21 chunk intervals). The ratio to the direct call's spread shows it.
    /// </summary>
    private static double? ChunkBuffering(Comparison run, SystemResult system) =>
        Figures.Divide(system.Stream?.Spread.P50, run.Direct?.Stream?.Spread.P50);

    /// <summary>
    /// A limit in microseconds on an "added" figure, judged against the run's noise floor (how far the direct
    /// call itself moved between the start and the end of the run): met only when both the figure and the
    /// noise are within the limit, missed only when the figure exceeds the limit by more than the noise.
    /// </summary>
    private static TargetCheck Absolute(string name, double limitMicroseconds, double? added, double? noise)
    {
        var goal = "≤ " + Figures.Duration(limitMicroseconds);
        if (added is null || double.IsNaN(added.Value))
        {
            return new TargetCheck(name, goal, Figures.NotAvailable, null);
        }

        var drift = noise ?? 0;
        var measured = noise is null ? Figures.Duration(added) : $"{Figures.Duration(added)} (noise ±{Figures.Duration(drift)})";
        if (added <= limitMicroseconds && drift <= limitMicroseconds)
        {
            return new TargetCheck(name, goal, measured, true);
        }

        return added > limitMicroseconds + drift
            ? new TargetCheck(name, goal, measured, false)
            : new TargetCheck(name, goal, measured, null, "inconclusive: below this run's noise");
    }

    private static bool? AtMost(double? value, double limit) => value is null || double.IsNaN(value.Value) ? null : value <= limit;
}
