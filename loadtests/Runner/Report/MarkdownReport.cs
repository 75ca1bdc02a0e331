using System.Globalization;
using System.Text;
using LoadTests.Runner.Systems;

namespace LoadTests.Runner.Report;

/// <summary>Facts about the run printed above the tables, so a reader can judge the figures.</summary>
internal sealed record RunFacts(string Date, string Commit, int Cores, string Cpu, double MemoryGigabytes, string Tools, RunSettings Settings, bool Quick);

/// <summary>Writes loadtests/results/&lt;date&gt;.md: absolute figures, what each system adds over the direct call, and ratios.</summary>
internal static class MarkdownReport
{
    public static string Write(RunFacts facts, Comparison run, IEnumerable<string> microBenchmarkReports)
    {
        var md = new StringBuilder();
        var s = facts.Settings;
        Line(md, $"# Load test, {facts.Date}");
        Line(md);
        if (facts.Quick)
        {
            Line(md, "> **Quick smoke run** (`--quick`): short scenarios to check the harness. These figures are not results.");
            Line(md);
        }

        Line(md, $"Commit `{facts.Commit}` · {facts.Cpu} · **{facts.Cores} cores** · {facts.MemoryGigabytes:0} GiB · {facts.Tools}");
        Line(md);
        Line(md, "Every process is on 127.0.0.1 of this one machine: the load generators (wrk, and the runner's stream client) and the fake upstream " +
                 "share the cores with the system measured, which is what a sidecar or a small node sees. Each system is measured in turn in one run; " +
                 "\"added\" is the system's figure minus the direct call's, and every ratio compares figures from this same run. " +
                 "Run `loadtests/run.sh` to reproduce; loadtests/README.md says what each scenario does.");
        Line(md);

        if (run.DirectAgain is not null)
        {
            Line(md, "**Noise floor.** The direct call is measured again at the end of the run (`direct-again`): its \"added\" figures are how far " +
                     "the machine itself moved meanwhile. Any system's \"added\" figure below zero is noise as well, since no proxy is faster than " +
                     "calling direct. The larger of the two is this run's noise floor: " +
                     $"{Figures.Duration(run.Noise(run.AddedModerateP50))} at the moderate p50, {Figures.Duration(run.Noise(run.AddedModerateP99))} at its p99, " +
                     $"{Figures.Duration(run.Noise(run.AddedFirstByteP50))} and {Figures.Duration(run.Noise(run.AddedFirstByteP99))} in time to first token p50 and p99, " +
                     $"and {Figures.Duration(run.Noise(run.Added1MP50))} for the 1 MB prompt. Differences smaller than these are not resolved by this run.");
            Line(md);
        }

        var targets = Targets.Evaluate(run);
        if (targets.Count > 0)
        {
            Line(md, "## Our gateway (full configuration) against the targets");
            Line(md);
            Line(md, "| target | goal | measured | verdict |");
            Line(md, "|---|---|---|---|");
            foreach (var t in targets)
            {
                Line(md, $"| {t.Name} | {t.Goal} | {t.Measured} | {t.Verdict} |");
            }

            Line(md);
        }

        Line(md, "## Systems");
        Line(md);
        Line(md, "| system | what runs |");
        Line(md, "|---|---|");
        foreach (var r in run.Results)
        {
            Line(md, $"| {r.Id} | {r.Label}: {Describe(r.Id)} |");
        }

        Line(md);
        WriteSettling(md, run, s);
        Line(md, $"## Throughput at saturation (0 ms upstream, {s.SaturationConnections} connections, {s.Duration.TotalSeconds:0} s each)");
        Line(md);
        Line(md, "CPU per request is the CPU time (user + system) of the system's own processes over the run, divided by the requests served.");
        Line(md);
        Line(md, "| system | chat req/s | chat CPU per request | embeddings req/s | embeddings CPU per request |");
        Line(md, "|---|---:|---:|---:|---:|");
        foreach (var r in run.Results)
        {
            Line(md, $"| {r.Id} | {Figures.Rate(r.Chat?.Load.RequestsPerSecond)} | {Figures.Milliseconds(r.Chat?.CpuMillisecondsPerRequest)} | " +
                     $"{Figures.Rate(r.Embeddings?.Load.RequestsPerSecond)} | {Figures.Milliseconds(r.Embeddings?.CpuMillisecondsPerRequest)} |");
        }

        Line(md);
        Line(md, $"## Latency at a moderate rate ({s.ModerateLatencyMs} ms upstream, {s.ModerateConnections} connections, non-stream chat with a 1 KB prompt)");
        Line(md);
        Line(md, "| system | req/s | p50 | p99 | added p50 | added p99 |");
        Line(md, "|---|---:|---:|---:|---:|---:|");
        foreach (var r in run.Results)
        {
            Line(md, $"| {r.Id} | {Figures.Rate(r.Moderate?.RequestsPerSecond)} | {Figures.Duration(r.Moderate?.P50Microseconds)} | {Figures.Duration(r.Moderate?.P99Microseconds)} | " +
                     $"{Added(r, run.AddedModerateP50(r))} | {Added(r, run.AddedModerateP99(r))} |");
        }

        Line(md);
        Line(md, $"## Streaming ({FakeProviders.Load.LoadTestUpstream.StreamChunkCount} chunks: the first after {s.ModerateLatencyMs} ms, then {s.ChunkIntervalMs} ms apart; {s.StreamWorkers} callers)");
        Line(md);
        Line(md, "Time to first token is measured to the first body byte the client reads. The spread is first to last chunk; " +
                 "a proxy that buffered chunks would shrink it.");
        Line(md);
        Line(md, "| system | streams | time to first token p50 | p99 | added p50 | added p99 | first→last chunk p50 |");
        Line(md, "|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in run.Results)
        {
            Line(md, $"| {r.Id} | {r.Stream?.Streams.ToString(CultureInfo.InvariantCulture) ?? Figures.NotAvailable} | {Figures.Duration(r.Stream?.FirstByte.P50)} | {Figures.Duration(r.Stream?.FirstByte.P99)} | " +
                     $"{Added(r, run.AddedFirstByteP50(r))} | {Added(r, run.AddedFirstByteP99(r))} | {Figures.Duration(r.Stream?.Spread.P50)} |");
        }

        Line(md);
        Line(md, $"## Large prompts (0 ms upstream, one request at a time, {s.PromptDuration.TotalSeconds:0} s each)");
        Line(md);
        Line(md, "| system | 100 KB p50 | added | 1 MB p50 | added | 1 MB p99 |");
        Line(md, "|---|---:|---:|---:|---:|---:|");
        foreach (var r in run.Results)
        {
            Line(md, $"| {r.Id} | {Figures.Duration(r.Prompt100K?.P50Microseconds)} | {Added(r, run.Added100KP50(r))} | " +
                     $"{Figures.Duration(r.Prompt1M?.P50Microseconds)} | {Added(r, run.Added1MP50(r))} | {Figures.Duration(r.Prompt1M?.P99Microseconds)} |");
        }

        Line(md);
        Line(md, "## Memory (resident set of the system's processes)");
        Line(md);
        Line(md, "Idle is after the warm-up. Per 1,000 streams is the growth while that many streams are held open " +
                 "(each has had its first chunk), scaled to 1,000.");
        Line(md);
        var counts = s.OpenStreamCounts;
        Line(md, "| system | idle | " + string.Join(" | ", counts.Select(c => $"{c:N0} open: MB per 1,000 (opened)")) + " |");
        Line(md, "|---|---:|" + string.Concat(counts.Select(_ => "---:|")));
        foreach (var r in run.Results.Where(r => r.Id is not (SystemCatalog.Direct or SystemCatalog.DirectAgain)))
        {
            var cells = counts.Select(c => r.OpenStreams.FirstOrDefault(o => o.Requested == c) is { } o
                ? $"{Figures.Megabytes(o.MegabytesPerThousand)} ({o.Opened:N0})"
                : Figures.NotAvailable);
            Line(md, $"| {r.Id} | {Figures.Megabytes(r.IdleRssMegabytes)} | {string.Join(" | ", cells)} |");
        }

        Line(md);
        WriteRatios(md, run);
        WriteTracingCost(md, run);
        WriteProblems(md, run);
        WriteMicroBenchmarks(md, microBenchmarkReports);
        return md.ToString();
    }

    /// <summary>How long each system ran at saturation after the warm-up before its throughput stopped rising.</summary>
    private static void WriteSettling(StringBuilder md, Comparison run, RunSettings s)
    {
        Line(md, "## Warm-up to steady throughput");
        Line(md);
        Line(md, $"After a {s.Warmup.TotalSeconds:0} s warm-up over every path, each system (and its fresh upstream) runs chat at saturation in " +
                 $"{s.SettleSlice.TotalSeconds:0} s slices until {Load.SteadyState.DefaultFlatSlices} slices in a row beat the best earlier one by " +
                 $"at most {Load.SteadyState.DefaultTolerance:P0} (at most {s.SettleLimit.TotalSeconds:0} s): a .NET process runs quick, then " +
                 "instrumented, code until the tiered JIT has recompiled its hot paths, and figures taken before then measure the JIT. " +
                 "Every figure below is taken after this. The time is also what a freshly started replica needs under full load before it " +
                 "serves at its steady rate.");
        Line(md);
        Line(md, "| system | until steady | chat req/s of each slice |");
        Line(md, "|---|---:|---|");
        foreach (var r in run.Results)
        {
            var settled = r.Settling is not { } t ? Figures.NotAvailable
                : t.Steady ? $"{t.Elapsed.TotalSeconds:0} s" : $"still rising after {t.Elapsed.TotalSeconds:0} s";
            var rates = r.Settling is { } u ? string.Join(", ", u.Rates.Select(x => Figures.Rate(x))) : Figures.NotAvailable;
            Line(md, $"| {r.Id} | {settled} | {rates} |");
        }

        Line(md);
    }

    private static void WriteRatios(StringBuilder md, Comparison run)
    {
        var ours = new[] { SystemCatalog.GatewayBare, SystemCatalog.GatewayFull }.Select(run.Find).OfType<SystemResult>().ToList();
        var others = new[] { SystemCatalog.Yarp, SystemCatalog.Nginx, SystemCatalog.Portkey }.Select(run.Find).OfType<SystemResult>().ToList();
        if (ours.Count == 0 || others.Count == 0)
        {
            return;
        }

        Line(md, "## Ratios (ours / theirs, same run; below 1× is better for every row but throughput)");
        Line(md);
        var columns = ours.SelectMany(o => others.Select(t => (Ours: o, Theirs: t))).ToList();
        Line(md, "| metric | " + string.Join(" | ", columns.Select(c => $"{Short(c.Ours.Id)} / {c.Theirs.Id}")) + " |");
        Line(md, "|---|" + string.Concat(columns.Select(_ => "---:|")));
        var metrics = new (string Name, Func<SystemResult, double?> Value)[]
        {
            ("added p50 latency", run.AddedModerateP50),
            ("added p99 latency", run.AddedModerateP99),
            ("CPU per request", Comparison.CpuPerRequest),
            ("chat throughput", Comparison.ChatRate),
            ("embeddings throughput", r => r.Embeddings?.Load.RequestsPerSecond),
            ("added time to first token p50", run.AddedFirstByteP50),
            ("added time to first token p99", run.AddedFirstByteP99),
            ("added latency, 1 MB prompt", run.Added1MP50),
            ("memory per 1,000 open streams", Comparison.MegabytesPerThousandStreams),
            ("memory idle", r => r.IdleRssMegabytes),
        };
        foreach (var (name, value) in metrics)
        {
            Line(md, $"| {name} | " + string.Join(" | ", columns.Select(c => Figures.Ratio(Figures.Divide(value(c.Ours), value(c.Theirs))))) + " |");
        }

        Line(md);
        Line(md, "A ratio of added latency is \"n/a\" where the other system's added figure is zero or below: within this machine's noise, it added nothing measurable.");
        Line(md);
    }

    /// <summary>gateway-full against gateway-untraced, the same config but for tracking: what a trace per request costs.</summary>
    private static void WriteTracingCost(StringBuilder md, Comparison run)
    {
        if (run.Find(SystemCatalog.GatewayFull) is not { } traced || run.Find(SystemCatalog.GatewayUntraced) is not { } untraced)
        {
            return;
        }

        Line(md, "## What tracing costs (gateway-full minus gateway-untraced, same run)");
        Line(md);
        Line(md, "| metric | traced | untraced | difference |");
        Line(md, "|---|---:|---:|---:|");
        void Row(string name, double? a, double? b, Func<double?, string> format) =>
            Line(md, $"| {name} | {format(a)} | {format(b)} | {format(a is null || b is null ? null : a - b)} |");
        Row("p50 latency at a moderate rate", traced.Moderate?.P50Microseconds, untraced.Moderate?.P50Microseconds, Figures.Duration);
        Row("p99 latency at a moderate rate", traced.Moderate?.P99Microseconds, untraced.Moderate?.P99Microseconds, Figures.Duration);
        Row("CPU per request at saturation", Comparison.CpuPerRequest(traced) * 1000, Comparison.CpuPerRequest(untraced) * 1000, Figures.Duration);
        Row("time to first token p50", traced.Stream?.FirstByte.P50, untraced.Stream?.FirstByte.P50, Figures.Duration);
        Line(md, $"| chat throughput | {Figures.Rate(Comparison.ChatRate(traced))} | {Figures.Rate(Comparison.ChatRate(untraced))} | {Figures.Ratio(Figures.Divide(Comparison.ChatRate(traced), Comparison.ChatRate(untraced)))} |");
        Line(md);
        Line(md, "The p50 difference at a moderate rate is within this machine's noise unless it exceeds the run's noise floor above; CPU per request is the steadier figure.");
        Line(md);
    }

    private static void WriteProblems(StringBuilder md, Comparison run)
    {
        var problems = run.Results.SelectMany(r => r.Problems.Select(p => $"- {r.Id}: {p}")).ToList();
        Line(md, "## Problems seen in this run");
        Line(md);
        if (problems.Count == 0)
        {
            Line(md, "None: every request of every scenario succeeded.");
        }

        foreach (var problem in problems)
        {
            Line(md, problem);
        }

        Line(md);
    }

    private static void WriteMicroBenchmarks(StringBuilder md, IEnumerable<string> reports)
    {
        var files = reports.ToList();
        if (files.Count == 0)
        {
            return;
        }

        Line(md, "## Micro-benchmarks (BenchmarkDotNet, hot-path pieces, in process)");
        Line(md);
        foreach (var file in files)
        {
            Line(md, $"### {Path.GetFileNameWithoutExtension(file).Replace("-report-github", "", StringComparison.Ordinal).Split('.').Last()}");
            Line(md);
            md.Append(File.ReadAllText(file).Trim()).Append('\n');
            Line(md);
        }
    }

    private static string Added(SystemResult r, double? added) => r.Id == SystemCatalog.Direct ? "—" : Figures.Duration(added);

    private static string Short(string id) => id.Replace("gateway-", "ours ", StringComparison.Ordinal);

    private static string Describe(string id) => id switch
    {
        SystemCatalog.Direct => "the client calls the fake upstream itself; the baseline for \"added\"",
        SystemCatalog.DirectAgain => "the same, last: its \"added\" figures are the run's noise floor",
        SystemCatalog.Yarp => "loadtests/YarpProxy, YARP's forwarder and nothing else: the floor for an ASP.NET Core proxy",
        SystemCatalog.Nginx => "loadtests/configs/nginx.conf: keep-alive upstream, no buffering, no access log",
        SystemCatalog.Portkey => "@portkey-ai/gateway from npm on Node.js, routed by x-portkey-provider and x-portkey-custom-host",
        SystemCatalog.GatewayBare => "loadtests/configs/gateway-bare.yaml: one OpenAI-compatible target, no keys",
        SystemCatalog.GatewayFull => "loadtests/configs/gateway-full.yaml: gateway keys, weighted split, retries and fallbacks, a trace per request to SQLite (the file lists what later issues switch on)",
        SystemCatalog.GatewayUntraced => "the same file with tracking.enabled false: the difference to gateway-full is what tracing costs",
        _ => "",
    };

    private static void Line(StringBuilder md, string text = "") => md.Append(text).Append('\n');
}
