using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LoadTests.Runner.Load;
using LoadTests.Runner.Processes;
using LoadTests.Runner.Systems;

namespace LoadTests.Runner;

/// <summary>
/// Measures each system in turn, each with a fresh fake upstream: starts both, runs every scenario, stops both.
/// A scenario that fails is recorded as a problem of that system; the run goes on.
/// </summary>
internal sealed class BenchmarkRun(RunPaths paths, RunSettings settings, TextWriter progress) : IDisposable
{
    private readonly HttpClient _control = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    public async Task<IReadOnlyList<SystemResult>> RunAsync(IReadOnlyList<string> systemIds, CancellationToken cancellationToken)
    {
        var missing = paths.Required(systemIds).Where(p => !File.Exists(p)).ToList();
        if (missing.Count > 0)
        {
            throw new FileNotFoundException("not built or installed (run loadtests/run.sh): " + string.Join(", ", missing));
        }

        var results = new List<SystemResult>();
        var wrk = new Wrk(paths.WrkScript);
        foreach (var id in systemIds)
        {
            cancellationToken.ThrowIfCancellationRequested();
            results.Add(await MeasureAsync(id, wrk, cancellationToken));
        }

        return results;
    }

    /// <summary>
    /// One system, in isolation from the others: its own fresh upstream and a fresh client, so what an earlier
    /// system left behind (thousands of closed streams, a grown heap in the upstream or the client) does not
    /// land in its tail latencies.
    /// </summary>
    private async Task<SystemResult> MeasureAsync(string id, Wrk wrk, CancellationToken cancellationToken)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var upstream = new Uri($"http://127.0.0.1:{FreePort()}/");
        await using var upstreamProcess = ManagedProcess.Start("upstream", "dotnet",
            [paths.UpstreamDll, "--urls", upstream.ToString().TrimEnd('/')], paths.Log($"upstream-for-{id}"));
        await upstreamProcess.WaitUntilReadyAsync(_control, new Uri(upstream, "healthz"), TimeSpan.FromSeconds(30));

        var system = new SystemCatalog(paths, upstream).Create([id])[0];
        progress.WriteLine($"== {system.Label}");
        var result = new SystemResult(system.Id, system.Label);
        var port = FreePort();
        await using var process = system.Start(port, paths.Log(system.Id));
        using var streams = new StreamClient();
        var root = process is null ? upstream : new Uri($"http://127.0.0.1:{port}/");
        try
        {
            if (process is not null)
            {
                await process.WaitUntilReadyAsync(_control, new Uri(root, system.ReadinessPath.TrimStart('/')), TimeSpan.FromSeconds(60));
            }

            var scenarios = new Scenarios(system, result, process, root, upstream, new Payloads(paths.WorkDirectory, system.Id, system.ChatModel, system.EmbeddingsModel),
                wrk, streams, this, settings, progress);
            await scenarios.RunAllAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or IOException)
        {
            result.Problems.Add($"stopped early: {ex.Message}");
            progress.WriteLine($"   {system.Id}: {ex.Message}");
        }
        finally
        {
            // Let held streams finish before their upstream goes away, so the system logs no failures of ours.
            await ReleaseAsync(upstream);
        }

        return result;
    }

    public void Dispose() => _control.Dispose();

    public async Task SetUpstreamAsync(Uri upstream, int latencyMs, int chunkIntervalMs, bool hold)
    {
        var query = string.Create(CultureInfo.InvariantCulture, $"control?latency_ms={latencyMs}&chunk_interval_ms={chunkIntervalMs}&hold={(hold ? "true" : "false")}");
        using var response = await _control.PostAsync(new Uri(upstream, query), null);
        response.EnsureSuccessStatusCode();
    }

    public async Task ReleaseAsync(Uri upstream)
    {
        using var response = await _control.PostAsync(new Uri(upstream, "control/release"), null);
        response.EnsureSuccessStatusCode();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
