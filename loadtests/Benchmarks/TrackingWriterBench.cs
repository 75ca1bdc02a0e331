using System.Diagnostics;
using System.Globalization;
using Gateway.Configuration;
using Gateway.Hosting;
using Gateway.Providers;
using Gateway.Tracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Benchmarks;

/// <summary>
/// How many traces a second the tracking writer gets into a store: the real writer of a started gateway (queue,
/// batches, one transaction each) fed as fast as it takes traces shaped like the gateway's own (three spans,
/// 1,000-character body previews), timed until the last one is committed.
///
///   dotnet Gateway.Benchmarks.dll tracking-writer --store sqlite|postgres://… [--traces 50000] [--rounds 3] [--previews none] [--out file.md]
/// </summary>
internal static class TrackingWriterBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Option(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
        var store = Option("--store", "sqlite");
        var count = int.Parse(Option("--traces", "50000"), CultureInfo.InvariantCulture);
        var rounds = int.Parse(Option("--rounds", "3"), CultureInfo.InvariantCulture);
        var output = Option("--out", "");
        s_previews = Option("--previews", "1000") != "none";
        var rates = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            var rate = await RoundAsync(store, count, round);
            rates.Add(rate);
            Console.WriteLine($"tracking-writer {Kind(store)} round {round}: {count:N0} traces in {count / rate:0.00} s = {rate:N0} traces/s");
        }

        var line = $"| {Kind(store)} | {(s_previews ? "1,000 chars each way" : "none")} | {count:N0} | {string.Join(" / ", rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} | {rates.Order().ElementAt(rates.Count / 2):N0} |";
        if (output.Length > 0)
        {
            await File.AppendAllTextAsync(output, line + "\n");
        }

        Console.WriteLine(line);
        return 0;
    }

    private static string Kind(string store) => store.StartsWith("postgres", StringComparison.Ordinal) ? "postgres" : "sqlite";

    private static async Task<double> RoundAsync(string store, int count, int round)
    {
        var directory = Directory.CreateTempSubdirectory("tracking-bench-").FullName;
        try
        {
            var storeUrl = store == "sqlite" ? $"sqlite:{Path.Combine(directory, "traces.db")}" : store;
            var path = Path.Combine(directory, "gateway.yaml");
            await File.WriteAllTextAsync(path, $$"""
                server: { auth: none }
                providers: { demo: { type: mock } }
                endpoints: { chat: { targets: [ { provider: demo, model: m } ] } }
                tracking: { store: "{{storeUrl}}", journal: "{{Path.Combine(directory, "journal")}}" }
                """);
            var loaded = ConfigLoader.Load(ConfigSource.FromFile(path), ProviderRegistry.Rules);
            await using var app = GatewayApplication.Build(loaded, "http://127.0.0.1:0");
            await app.StartAsync();
            var writer = app.Services.GetRequiredService<TraceWriter>();
            await writer.EnsureMigratedAsync(CancellationToken.None);
            // Unique ids per round: a shared PostgreSQL database keeps earlier rounds' traces.
            var traces = Enumerable.Range(0, count).Select(i => Trace(i, round)).ToList();

            var clock = Stopwatch.StartNew();
            foreach (var trace in traces)
            {
                await writer.EnqueueAsync(trace);
            }

            await writer.FlushAsync(CancellationToken.None);
            clock.Stop();
            if (writer.Journaled > 0)
            {
                throw new InvalidOperationException($"{writer.Journaled} traces went to the journal: the store did not keep up or failed");
            }

            await app.StopAsync();
            return count / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static bool s_previews = true;

    private static readonly string Preview = string.Concat(Enumerable.Repeat("The quarterly numbers are in; summarise them for the board. ", 20))[..1000];

    private static TraceRecord Trace(int i, int round)
    {
        var started = 1_795_400_000_000_000L + i * 1000L;
        var traceId = $"{round:x8}{i:x24}";
        return new TraceRecord
        {
            RequestId = $"{round:x8}{i:x24}",
            TraceId = traceId,
            SpanId = $"{i:x16}",
            StartedAtUs = started,
            DurationMs = 12.5,
            State = i % 50 == 0 ? "ERROR" : "OK",
            StatusCode = i % 50 == 0 ? 502 : 200,
            Operation = "chat",
            Stream = i % 2 == 0,
            Endpoint = "chat",
            User = "user" + i % 200,
            Groups = ["engineering", "team" + i % 20],
            KeyId = "key" + i % 300,
            Provider = "openai",
            Model = i % 3 == 0 ? "gpt-4o" : "gpt-4o-mini",
            Attempts = 1,
            PromptTokens = 850,
            CompletionTokens = 120,
            CostNanoUsd = 199_500,
            Priced = true,
            TimeToFirstTokenMs = 210.5,
            RequestBody = s_previews ? Preview : null,
            ResponseBody = s_previews ? Preview : null,
            Spans =
            [
                new SpanRecord("auth", "a" + i.ToString("x15", CultureInfo.InvariantCulture), $"{i:x16}", started, 0.02, "UNSET",
                    new Dictionary<string, object?> { ["gateway.key_id"] = "key" + i % 300 }),
                new SpanRecord("chat gpt-4o-mini", "b" + i.ToString("x15", CultureInfo.InvariantCulture), $"{i:x16}", started + 50, 12.1, "UNSET",
                    new Dictionary<string, object?>
                    {
                        ["gen_ai.operation.name"] = "chat", ["gen_ai.system"] = "openai", ["gen_ai.request.model"] = "gpt-4o-mini",
                        ["gen_ai.response.model"] = "gpt-4o-mini-2024-07-18", ["http.response.status_code"] = 200, ["gateway.time_to_first_token_ms"] = 210.5,
                    }),
                new SpanRecord("chat chat", $"{i:x16}", null, started, 12.5, "UNSET",
                    new Dictionary<string, object?> { ["gateway.endpoint"] = "chat", ["gen_ai.usage.input_tokens"] = 850L, ["gen_ai.usage.output_tokens"] = 120L }),
            ],
        };
    }
}
