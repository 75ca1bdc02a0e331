namespace LoadTests.Runner.Load;

/// <summary>p50/p90/p99 of a sample, nearest-rank; microseconds wherever the runner uses it.</summary>
internal sealed record Percentiles(double P50, double P90, double P99)
{
    public static Percentiles Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0)
        {
            return new Percentiles(double.NaN, double.NaN, double.NaN);
        }

        var sorted = samples.Order().ToArray();
        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Percentiles(Rank(50), Rank(90), Rank(99));
    }
}
