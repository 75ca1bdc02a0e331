using LoadTests.Runner.Load;

namespace LoadTests.Runner;

/// <summary>Everything measured for one system in one run. Null where a scenario did not apply or failed (see <see cref="Problems"/>).</summary>
internal sealed record SystemResult(string Id, string Label)
{
    public double? IdleRssMegabytes { get; set; }

    /// <summary>Chat throughput of each settling slice after the warm-up, and whether it became steady within the limit.</summary>
    public Settling? Settling { get; set; }

    public Saturation? Chat { get; set; }

    public Saturation? Embeddings { get; set; }

    public WrkResult? Moderate { get; set; }

    public StreamTimings? Stream { get; set; }

    public WrkResult? Prompt100K { get; set; }

    public WrkResult? Prompt1M { get; set; }

    public List<OpenStreamsResult> OpenStreams { get; } = [];

    public List<string> Problems { get; } = [];
}

/// <summary>How long the system took to reach its steady throughput after the warm-up.</summary>
internal sealed record Settling(IReadOnlyList<double> Rates, TimeSpan Slice, bool Steady)
{
    public TimeSpan Elapsed => Slice * Rates.Count;
}

/// <summary>A saturation run and the CPU the system's processes spent on it (null for the direct call).</summary>
internal sealed record Saturation(WrkResult Load, double? CpuMillisecondsPerRequest);

internal sealed record OpenStreamsResult(int Requested, int Opened, double RssBeforeMegabytes, double RssOpenMegabytes, int Completed)
{
    /// <summary>Resident memory added per 1,000 open streams.</summary>
    public double MegabytesPerThousand => Opened == 0 ? double.NaN : (RssOpenMegabytes - RssBeforeMegabytes) / Opened * 1000;
}
