using System.Diagnostics;
using System.Text;
using FakeProviders;
using FakeProviders.Load;
using Gateway.Core;
using Gateway.Inbound.OpenAi;
using Gateway.Tests.Support;
using LoadTests.Runner;
using LoadTests.Runner.Load;
using LoadTests.Runner.Processes;
using LoadTests.Runner.Report;
using LoadTests.Runner.Systems;

namespace Gateway.Tests.LoadTesting;

/// <summary>The runner's own logic: what it reads from wrk and /proc, its statistics, and the verdicts it writes.</summary>
public sealed class RunnerTests
{
    [Fact]
    public void Wrk_summary_is_read_from_the_json_line_after_wrks_own_output()
    {
        var stdout = """
            Running 10s test @ http://127.0.0.1:1/v1/chat/completions
              1 threads and 64 connections
            {"requests":1000,"duration_us":2000000,"bytes":5,"connect_errors":0,"read_errors":1,"write_errors":0,"status_errors":2,"timeouts":3,"mean_us":812.5,"p50_us":700,"p90_us":900,"p99_us":1500,"p999_us":2500,"max_us":3000}
            """;

        var result = Wrk.Parse(stdout, "", 0);

        Assert.Equal(500, result.RequestsPerSecond);
        Assert.Equal(700, result.P50Microseconds);
        Assert.Equal(1500, result.P99Microseconds);
        Assert.Equal(6, result.Errors);
    }

    [Fact]
    public void Wrk_run_without_a_summary_fails_with_wrks_error_text()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Wrk.Parse("", "unable to connect to 127.0.0.1:1 Connection refused", 1));

        Assert.Contains("Connection refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_request_of_a_scenario_gets_a_new_user_turn_of_the_same_size()
    {
        var body = Encoding.UTF8.GetBytes(Payloads.Chat("gpt-4o-mini", 850, stream: false));

        var first = Payloads.Numbered(body, 1);
        var later = Payloads.Numbered(body, 1_234_567);

        Assert.Equal(body.Length, later.Length);
        Assert.StartsWith("#000001 ", global::System.Text.Json.JsonDocument.Parse(first).RootElement.GetProperty("messages")[1].GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Contains("\"content\":\"#234567 ", Encoding.UTF8.GetString(later), StringComparison.Ordinal);
        Assert.Contains(Payloads.Marker, Encoding.UTF8.GetString(body), StringComparison.Ordinal); // the original is left as it was
        var unmarked = Encoding.UTF8.GetBytes("""{"input":"no marker here"}""");
        Assert.Same(unmarked, Payloads.Numbered(unmarked, 7));
    }

    [Fact]
    public void Throughput_is_steady_once_two_slices_in_a_row_fail_to_beat_the_best_by_five_percent()
    {
        var steady = new SteadyState();

        // The gateway's climb on 2 cores as the JIT catches up, then a plateau.
        var verdicts = new[] { 1_200d, 2_000, 3_500, 4_500, 5_250, 5_150, 5_300 }.Select(steady.Add).ToList();

        Assert.Equal([false, false, false, false, false, false, true], verdicts);
    }

    [Fact]
    public void Slower_slice_from_noise_counts_as_flat_and_a_late_climb_starts_the_count_again()
    {
        var steady = new SteadyState();

        Assert.False(steady.Add(18_000));
        Assert.False(steady.Add(12_000)); // a noisy neighbour: slower, not faster
        Assert.False(steady.Add(19_500)); // still climbing by more than 5 %: the count restarts
        Assert.False(steady.Add(19_000));
        Assert.True(steady.Add(19_900));
    }

    [Fact]
    public void Throughput_still_climbing_is_never_steady()
    {
        var steady = new SteadyState();

        Assert.DoesNotContain(true, Enumerable.Range(1, 20).Select(i => steady.Add(1_000 * Math.Pow(1.1, i))).ToList());
        Assert.Equal(20, steady.Rates.Count);
    }

    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        var samples = Enumerable.Range(1, 200).Select(i => (double)i).Reverse().ToList();

        var p = Percentiles.Of(samples);

        Assert.Equal((100d, 180d, 198d), (p.P50, p.P90, p.P99));
        Assert.True(double.IsNaN(Percentiles.Of([]).P50));
    }

    [Theory]
    [InlineData(new[] { "data: a\n\ndata: b\n\n" }, 2)]
    [InlineData(new[] { "data: a\n", "\ndata: b\n", "\n" }, 2)]
    [InlineData(new[] { "data: a\r\n\r\n" }, 1)]
    [InlineData(new[] { "data: a\ndata: b\n" }, 0)]
    public void Sse_events_are_counted_across_reads(string[] reads, int events)
    {
        var pending = 0;
        var counted = reads.Sum(read => StreamClient.CountEventEnds(Encoding.UTF8.GetBytes(read), ref pending));

        Assert.Equal(events, counted);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(100 * 1024)]
    [InlineData(1024 * 1024)]
    public void Payloads_are_valid_chat_requests_of_about_the_size_asked_for(int size)
    {
        var body = Encoding.UTF8.GetBytes(Payloads.Chat("chat", size, stream: true));

        Assert.Null(Gateway.Inbound.OpenAi.OpenAiRequestReader.TryRead(body, Gateway.Core.EndpointKind.Chat, out var parsed));
        Assert.True(parsed.Stream);
        Assert.InRange(body.Length, size * 0.9, size * 1.1);
    }

    [Fact]
    public void Ratios_against_nothing_measurable_are_not_available()
    {
        Assert.Equal(2, Figures.Divide(10, 5));
        Assert.Null(Figures.Divide(10, 0));
        Assert.Null(Figures.Divide(10, -3));
        Assert.Null(Figures.Divide(-10, 5));
        Assert.Null(Figures.Divide(null, 5));
        Assert.Equal("n/a", Figures.Ratio(null));
        Assert.Equal("850 µs", Figures.Duration(850));
        Assert.Equal("1.41 ms", Figures.Duration(1410));
        Assert.Equal("12.5 ms", Figures.Duration(12_500));
    }

    [Fact]
    public void Targets_are_judged_from_the_same_runs_figures()
    {
        var comparison = new Comparison([
            System(SystemCatalog.Direct, p50: 50_000, p99: 52_000, rate: 40_000, cpu: null, firstByteP99: 51_000, spread: 22_000, oneMb: 2_000),
            System(SystemCatalog.Yarp, p50: 50_200, p99: 52_400, rate: 5_000, cpu: 0.30, firstByteP99: 51_200, spread: 22_000, oneMb: 3_000),
            System(SystemCatalog.Portkey, p50: 56_000, p99: 80_000, rate: 300, cpu: 4.0, firstByteP99: 90_000, spread: 15_000, oneMb: 30_000),
            System(SystemCatalog.GatewayFull, p50: 50_400, p99: 52_900, rate: 3_500, cpu: 0.45, firstByteP99: 51_250, spread: 2_000, oneMb: 3_500,
                streams: new OpenStreamsResult(5000, 5000, 100, 300, 5000)),
        ]);

        var verdicts = Targets.Evaluate(comparison).ToDictionary(t => t.Name, t => t.Met);

        Assert.True(verdicts["added p50 latency, vs plain YARP's"]);                 // 400 µs vs 200 µs: 2.0×
        Assert.False(verdicts["added p99 latency at a moderate rate"]);               // 900 µs
        Assert.True(verdicts["CPU per request, vs plain YARP's"]);                    // 1.5×
        Assert.True(verdicts["throughput, vs Portkey's"]);                            // 11.7×
        Assert.True(verdicts["added time to first token, p99"]);                      // 250 µs
        Assert.False(verdicts["no per-chunk buffering (first→last chunk spread, vs direct)"]);
        Assert.True(verdicts["resident memory per 1,000 open streams"]);              // 40 MB
        Assert.True(verdicts["added latency, 1 MB prompt (p50)"]);                    // 1.5 ms
    }

    [Fact]
    public void Absolute_targets_within_the_runs_noise_are_inconclusive_not_met()
    {
        var comparison = new Comparison([
            System(SystemCatalog.Direct, p50: 50_000, p99: 52_000, rate: 40_000, cpu: null, firstByteP99: 51_000, spread: 22_000, oneMb: 2_000),
            System(SystemCatalog.GatewayFull, p50: 50_400, p99: 51_500, rate: 3_500, cpu: 0.45, firstByteP99: 60_000, spread: 22_000, oneMb: 3_000),
            // The same direct call at the end of the run: p99 moved by 1.2 ms, time to first token by 1 ms, 1 MB by 0.1 ms.
            System(SystemCatalog.DirectAgain, p50: 50_100, p99: 53_200, rate: 40_000, cpu: null, firstByteP99: 52_000, spread: 22_000, oneMb: 2_100),
        ]);

        var checks = Targets.Evaluate(comparison).ToDictionary(t => t.Name);

        Assert.Equal("inconclusive: below this run's noise", checks["added p99 latency at a moderate rate"].Verdict);  // -500 µs, noise ±1.2 ms
        Assert.Equal("**missed**", checks["added time to first token, p99"].Verdict);                               // 9 ms, well past 300 µs + 1 ms
        Assert.Equal("met", checks["added latency, 1 MB prompt (p50)"].Verdict);                                    // 1 ms, noise ±100 µs
        Assert.Equal("1.00 ms (noise ±100 µs)", checks["added latency, 1 MB prompt (p50)"].Measured);
    }

    [Fact]
    public void A_proxy_faster_than_the_direct_call_counts_as_noise()
    {
        var comparison = new Comparison([
            System(SystemCatalog.Direct, p50: 50_000, p99: 52_000, rate: 40_000, cpu: null, firstByteP99: 51_000, spread: 22_000, oneMb: 2_000),
            System(SystemCatalog.Nginx, p50: 50_100, p99: 51_200, rate: 30_000, cpu: 0.03, firstByteP99: 51_000, spread: 22_000, oneMb: 2_500),
            System(SystemCatalog.GatewayFull, p50: 50_300, p99: 52_250, rate: 3_500, cpu: 0.45, firstByteP99: 51_100, spread: 22_000, oneMb: 3_000),
            System(SystemCatalog.DirectAgain, p50: 50_000, p99: 52_100, rate: 40_000, cpu: null, firstByteP99: 51_000, spread: 22_000, oneMb: 2_000),
        ]);

        // nginx "took away" 800 µs at p99: more than the direct call's own 100 µs drift, so that is the floor.
        Assert.Equal(800, comparison.Noise(comparison.AddedModerateP99));
        var check = Targets.Evaluate(comparison).Single(t => t.Name == "added p99 latency at a moderate rate");
        Assert.Equal("inconclusive: below this run's noise", check.Verdict);
    }

    [Fact]
    public void Report_states_problems_and_marks_a_quick_run_as_no_result()
    {
        var failing = System(SystemCatalog.GatewayFull, p50: 1, p99: 1, rate: 1, cpu: 1, firstByteP99: 1, spread: 1, oneMb: 1);
        failing.Problems.Add("chat at saturation: 12 errors in 100 requests");
        var facts = new RunFacts("2026-11-23", "abc1234", 2, "test CPU", 24, "wrk 4.1.0", RunSettings.Quick, Quick: true);

        var report = MarkdownReport.Write(facts, new Comparison([failing]), []);

        Assert.Contains("**Quick smoke run**", report, StringComparison.Ordinal);
        Assert.Contains("**2 cores**", report, StringComparison.Ordinal);
        Assert.Contains("- gateway-full: chat at saturation: 12 errors in 100 requests", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_tree_counts_the_children_a_system_starts()
    {
        var info = new ProcessStartInfo("sh", ["-c", "sleep 60 & echo started; wait"]) { RedirectStandardOutput = true };
        using var shell = Process.Start(info)!;
        try
        {
            // The child exists once the shell has printed: no timing guess.
            Assert.Equal("started", await shell.StandardOutput.ReadLineAsync().WaitAsync(GatewayHost.Bound));

            var members = ProcessTree.Members(shell.Id);

            Assert.Equal(2, members.Count);
            Assert.True(ProcessTree.ResidentMegabytes(shell.Id) > 0);
            Assert.True(ProcessTree.CpuSeconds(shell.Id) >= 0);
        }
        finally
        {
            shell.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Stream_client_times_streams_and_holds_them_open_until_released()
    {
        var upstream = new LoadTestUpstream();
        var (app, root) = await FakeServerHost.StartAsync(upstream.Map);
        await using var _ = app;
        using var client = new StreamClient();
        var url = new Uri(root, "/v1/chat/completions");
        var body = Encoding.UTF8.GetBytes(Payloads.Chat("gpt-4o-mini", 1024, stream: true));
        var headers = new Dictionary<string, string> { ["Authorization"] = "Bearer sk-load-test" };

        var timings = await client.MeasureAsync(url, body, headers, workers: 2, TimeSpan.FromMilliseconds(300), LoadTestUpstream.StreamChunkCount, CancellationToken.None);
        upstream.HoldStreams = true;
        var open = await client.OpenAsync(url, body, headers, count: 20, openingConcurrency: 5, GatewayHost.Bound, CancellationToken.None);
        await using (open)
        {
            Assert.Equal((20, 20), (open.Count, upstream.OpenStreams));
            upstream.Release();
            Assert.Equal(20, await open.DrainAsync(GatewayHost.Bound));
        }

        Assert.True(timings.Streams > 0);
        Assert.Equal(0, timings.Failures);
        Assert.True(timings.FirstByte.P50 <= timings.FirstByte.P99);
    }

    private static SystemResult System(string id, double p50, double p99, double rate, double? cpu, double firstByteP99, double spread, double oneMb,
        OpenStreamsResult? streams = null)
    {
        var result = new SystemResult(id, id)
        {
            Moderate = new WrkResult { P50Microseconds = (long)p50, P99Microseconds = (long)p99, Requests = 3000, DurationMicroseconds = 10_000_000 },
            Chat = new Saturation(new WrkResult { Requests = (long)(rate * 10), DurationMicroseconds = 10_000_000 }, cpu),
            Stream = new StreamTimings(100, 0, new Percentiles(firstByteP99 - 100, firstByteP99 - 50, firstByteP99), new Percentiles(spread, spread, spread)),
            Prompt1M = new WrkResult { P50Microseconds = (long)oneMb, P99Microseconds = (long)oneMb },
        };
        if (streams is not null)
        {
            result.OpenStreams.Add(streams);
        }

        return result;
    }
}
