namespace LoadTests.Runner;

/// <summary>How long and how hard each scenario runs. <see cref="Quick"/> is a smoke run that checks the harness, not the gateway.</summary>
internal sealed record RunSettings
{
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>After the warm-up, chat at saturation in slices of this length until the throughput is steady (see <see cref="Load.SteadyState"/>).</summary>
    public TimeSpan SettleSlice { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The most load spent waiting for steady throughput; a system still speeding up then is measured anyway, and the report says so.</summary>
    public TimeSpan SettleLimit { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Saturation, moderate-rate and streaming scenarios.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The 100 KB and 1 MB prompts, one request at a time.</summary>
    public TimeSpan PromptDuration { get; init; } = TimeSpan.FromSeconds(5);

    public int SaturationConnections { get; init; } = 64;

    /// <summary>With <see cref="ModerateLatencyMs"/> this sets the moderate rate: 15 callers × 1/50 ms ≈ 300 req/s.</summary>
    public int ModerateConnections { get; init; } = 15;

    public int ModerateLatencyMs { get; init; } = 50;

    public int StreamWorkers { get; init; } = 16;

    public int ChunkIntervalMs { get; init; } = 1;

    public IReadOnlyList<int> OpenStreamCounts { get; init; } = [1000, 5000];

    public static RunSettings Quick { get; } = new()
    {
        Warmup = TimeSpan.FromSeconds(1),
        SettleSlice = TimeSpan.FromSeconds(1),
        SettleLimit = TimeSpan.FromSeconds(3),
        Duration = TimeSpan.FromSeconds(2),
        PromptDuration = TimeSpan.FromSeconds(1),
        OpenStreamCounts = [100, 300],
    };
}
