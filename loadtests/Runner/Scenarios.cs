using LoadTests.Runner.Load;
using LoadTests.Runner.Processes;
using LoadTests.Runner.Systems;
using FakeUpstreamShape = FakeProviders.Load.LoadTestUpstream;

namespace LoadTests.Runner;

/// <summary>The scenarios of issue 3, against one running system.</summary>
internal sealed class Scenarios(
    SystemUnderTest system, SystemResult result, ManagedProcess? process, Uri root, Uri upstream, Payloads payloads,
    Wrk wrk, StreamClient streams, BenchmarkRun run, RunSettings settings, TextWriter progress)
{
    private Uri Chat => new(root, "v1/chat/completions");

    private Uri Embeddings => new(root, "v1/embeddings");

    public async Task RunAllAsync(CancellationToken cancellationToken)
    {
        await WarmUpAsync(cancellationToken);
        result.IdleRssMegabytes = process is null ? null : ProcessTree.ResidentMegabytes(process.Pid);

        await Guard("chat at saturation", async () => result.Chat = await SaturateAsync(Chat, payloads.Chat1K, cancellationToken));
        await Guard("embeddings at saturation", async () => result.Embeddings = await SaturateAsync(Embeddings, payloads.Embeddings, cancellationToken));
        await Guard("chat at a moderate rate", async () =>
        {
            await run.SetUpstreamAsync(upstream, settings.ModerateLatencyMs, 0, hold: false);
            result.Moderate = Checked("moderate", await wrk.RunAsync(Chat, payloads.Chat1K, system.Headers, settings.ModerateConnections, settings.Duration, cancellationToken));
        });
        await Guard("streaming", async () =>
        {
            await run.SetUpstreamAsync(upstream, settings.ModerateLatencyMs, settings.ChunkIntervalMs, hold: false);
            var timings = await streams.MeasureAsync(Chat, payloads.StreamBody, system.Headers, settings.StreamWorkers, settings.Duration,
                FakeUpstreamShape.StreamChunkCount, cancellationToken);
            if (timings.Failures > 0)
            {
                result.Problems.Add($"streaming: {timings.Failures} of {timings.Streams + timings.Failures} streams failed or came back incomplete");
            }

            result.Stream = timings;
        });
        await Guard("large prompts", async () =>
        {
            await run.SetUpstreamAsync(upstream, 0, 0, hold: false);
            result.Prompt100K = Checked("100 KB prompt", await wrk.RunAsync(Chat, payloads.Chat100K, system.Headers, 1, settings.PromptDuration, cancellationToken));
            result.Prompt1M = Checked("1 MB prompt", await wrk.RunAsync(Chat, payloads.Chat1M, system.Headers, 1, settings.PromptDuration, cancellationToken));
        });
        if (process is not null)
        {
            foreach (var count in settings.OpenStreamCounts)
            {
                await Guard($"{count} open streams", () => OpenStreamsAsync(process, count, cancellationToken));
            }
        }
    }

    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        progress.WriteLine("   warm-up");
        await run.SetUpstreamAsync(upstream, 0, 0, hold: false);
        await wrk.RunAsync(Chat, payloads.Chat1K, system.Headers, 16, settings.Warmup, cancellationToken);
        await wrk.RunAsync(Embeddings, payloads.Embeddings, system.Headers, 16, settings.Warmup / 2, cancellationToken);
        await wrk.RunAsync(Chat, payloads.Chat100K, system.Headers, 2, settings.Warmup / 4, cancellationToken);
        await streams.MeasureAsync(Chat, payloads.StreamBody, system.Headers, 8, settings.Warmup / 2, FakeUpstreamShape.StreamChunkCount, cancellationToken);
        await SettleAsync(cancellationToken);
    }

    /// <summary>Every path has run; now chat at saturation until the throughput stops rising (the JIT has caught up).</summary>
    private async Task SettleAsync(CancellationToken cancellationToken)
    {
        var steady = new SteadyState();
        var slices = Math.Max(1, (int)(settings.SettleLimit / settings.SettleSlice));
        for (var i = 0; i < slices && !steady.Reached; i++)
        {
            var slice = await wrk.RunAsync(Chat, payloads.Chat1K, system.Headers, settings.SaturationConnections, settings.SettleSlice, cancellationToken);
            steady.Add(slice.RequestsPerSecond);
        }

        result.Settling = new Settling([.. steady.Rates], settings.SettleSlice, steady.Reached);
        progress.WriteLine($"   settled: {(steady.Reached ? "steady" : "still rising")} after {result.Settling.Elapsed.TotalSeconds:0} s ({string.Join(", ", steady.Rates.Select(r => r.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))} req/s)");
    }

    private async Task<Saturation> SaturateAsync(Uri url, string body, CancellationToken cancellationToken)
    {
        await run.SetUpstreamAsync(upstream, 0, 0, hold: false);
        var before = process is null ? 0 : ProcessTree.CpuSeconds(process.Pid);
        var load = Checked(url.AbsolutePath, await wrk.RunAsync(url, body, system.Headers, settings.SaturationConnections, settings.Duration, cancellationToken));
        double? cpu = process is null || load.Requests == 0 ? null : (ProcessTree.CpuSeconds(process.Pid) - before) * 1000 / load.Requests;
        return new Saturation(load, cpu);
    }

    private async Task OpenStreamsAsync(ManagedProcess target, int count, CancellationToken cancellationToken)
    {
        await run.SetUpstreamAsync(upstream, 0, 0, hold: true);
        var before = ProcessTree.ResidentMegabytes(target.Pid);
        var open = await streams.OpenAsync(Chat, payloads.StreamBody, system.Headers, count, openingConcurrency: 200, TimeSpan.FromSeconds(90), cancellationToken);
        await using (open)
        {
            // Let the last allocations of the opening burst land before reading memory.
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            var during = ProcessTree.ResidentMegabytes(target.Pid);
            await run.ReleaseAsync(upstream);
            var completed = await open.DrainAsync(TimeSpan.FromSeconds(60));
            await run.SetUpstreamAsync(upstream, 0, 0, hold: false);
            result.OpenStreams.Add(new OpenStreamsResult(count, open.Count, before, during, completed));
            if (open.Count < count || completed < open.Count)
            {
                result.Problems.Add($"{count} open streams: {open.Count} opened, {completed} completed");
            }
        }
    }

    private WrkResult Checked(string scenario, WrkResult load)
    {
        if (load.Errors > 0)
        {
            result.Problems.Add($"{scenario}: {load.Errors} errors in {load.Requests} requests (status {load.StatusErrors}, timeouts {load.Timeouts}, connect/read/write {load.ConnectErrors}/{load.ReadErrors}/{load.WriteErrors})");
        }

        return load;
    }

    private async Task Guard(string scenario, Func<Task> body)
    {
        progress.WriteLine($"   {scenario}");
        try
        {
            await body();
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or IOException)
        {
            result.Problems.Add($"{scenario}: {ex.Message}");
            progress.WriteLine($"   {scenario} failed: {ex.Message}");
        }
    }
}
