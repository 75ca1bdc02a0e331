using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gateway.Auth;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Hosting;
using Gateway.Inbound.OpenAi;
using Gateway.Providers;
using Gateway.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Benchmarks;

/// <summary>
/// What deciding a request's limits costs: the real limiter of a started gateway, with the limits a busy
/// deployment has (per endpoint, per user on the endpoint, the user's group and key: requests and tokens, six
/// counters, one store call), timed one acquisition at a time (latency: p50, p99) and with 64 in flight
/// (throughput). The body is a 1 KB chat prompt, so the token estimate (o200k_base) is part of the cost.
///
/// With a Redis store it first times a bare PING through the same client library: one round trip on this machine,
/// the floor under any limiter that asks Redis. --counters 1 keeps only the endpoint's requests limit.
///
///   dotnet Gateway.Benchmarks.dll limiter --store memory|redis://127.0.0.1:6379 [--counters 6|1] [--count 20000] [--out file.md]
/// </summary>
internal static class LimiterBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Option(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
        var store = Option("--store", "memory");
        var count = int.Parse(Option("--count", "20000"), CultureInfo.InvariantCulture);
        var output = Option("--out", "");
        var single = Option("--counters", "6") == "1";
        (double P50, double P99)? ping = store.StartsWith("redis", StringComparison.Ordinal) ? await PingAsync(store, count) : null;
        var directory = Directory.CreateTempSubdirectory("limiter-bench-").FullName;
        try
        {
            var path = Path.Combine(directory, "gateway.yaml");
            await File.WriteAllTextAsync(path, $$"""
                server: { auth: keys }
                providers: { demo: { type: mock } }
                endpoints:
                  chat:
                    targets: [ { provider: demo, model: m } ]
                    limits:
                      - { requests: 1000000000, window: 1m }
                {{(single ? "" : "      - { per: user, requests: 1000000000, tokens: 1000000000000, window: 1m }")}}
                keys:
                  - { key: gw-bench-0123456789abcdef, name: bench, user: bench, groups: [engineering]{{(single ? "" : ", limits: [ { tokens: 1000000000000, window: 1d } ]")}} }
                groups:
                  engineering: {{(single ? "{}" : "{ limits: [ { requests: 1000000000, tokens: 1000000000000, window: 1h } ] }")}}
                rate_limits: { store: "{{store}}", key_prefix: "bench-{{Guid.NewGuid():N}}" }
                tracking: { enabled: false }
                """);
            var app = GatewayApplication.Build(ConfigLoader.Load(ConfigSource.FromFile(path), ProviderRegistry.Rules), "http://127.0.0.1:0");
            await app.StartAsync();
            try
            {
                var limiter = app.Services.GetRequiredService<GatewayRateLimiter>();
                var snapshot = app.Services.GetRequiredService<ConfigStore>().Current;
                var caller = snapshot.Keys.Find("gw-bench-0123456789abcdef")!;
                // Prose of about 1 KB (190 words), as a chat prompt is; every acquisition's is new text (numbered), so the
                // caller's count cache, which skips what a caller sent before, never answers for it.
                var prompt = string.Join(' ', Enumerable.Range(0, 24).Select(i => $"Quarter {i} revenue grew while the board asked finance for a summary of costs."))[..992];
                // Each with its texts as the request's reader decodes them, before the limiter is called.
                var requests = Enumerable.Range(0, 2000 + 2 * count).Select(n =>
                {
                    var body = Encoding.UTF8.GetBytes($$"""{"model":"chat","messages":[{"role":"user","content":"#{{n:D7}} {{prompt}}"}],"max_tokens":256}""");
                    var texts = new PromptTexts();
                    OpenAiRequestReader.TryRead(body, EndpointKind.Chat, out _, texts);
                    return new LimitRequest(snapshot.Config, caller, "chat", body, texts, 256);
                }).ToArray();
                var next = 0;
                Console.WriteLine($"limiter: {limiter.Table(snapshot.Config).For("chat", caller).Limits.Length} counters per request, store {limiter.StoreName}");

                // Warm-up: JIT, the tokenizer's tables, the connection, the script cache.
                for (var i = 0; i < 2000; i++)
                {
                    (await limiter.AcquireAsync(requests[next++])).Dispose();
                }

                var latencies = new double[count];
                for (var i = 0; i < count; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    using var lease = await limiter.AcquireAsync(requests[next++]);
                    latencies[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
                    if (!lease.IsAcquired)
                    {
                        throw new InvalidOperationException("a benchmark request was refused");
                    }
                }

                Array.Sort(latencies);
                var p50 = latencies[count / 2];
                var p99 = latencies[(int)(count * 0.99)];

                var inFlight = 64;
                var clock = Stopwatch.StartNew();
                var each = count / inFlight;
                var first = next;
                await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async worker =>
                {
                    for (var i = 0; i < each; i++)
                    {
                        (await limiter.AcquireAsync(requests[first + worker * each + i])).Dispose();
                    }
                }));
                var throughput = each * inFlight / clock.Elapsed.TotalSeconds;

                var counters = limiter.Table(snapshot.Config).For("chat", caller).Limits.Length;
                var line = $"| {(store == "memory" ? "memory" : "redis (loopback)")} | {counters} | {count:N0} | {p50:0} µs | {p99:0} µs | {throughput:N0}/s |";
                if (ping is { } rtt)
                {
                    line = $"| redis PING, same client (one round trip) | 0 | {count:N0} | {rtt.P50:0} µs | {rtt.P99:0} µs | |\n" + line;
                }

                Console.WriteLine("| store | counters | acquisitions | p50 | p99 | throughput (64 in flight) |");
                Console.WriteLine(line);
                if (output.Length > 0)
                {
                    await File.AppendAllTextAsync(output, line + "\n");
                }
            }
            finally
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        return 0;
    }

    /// <summary>A bare PING's round trip through StackExchange.Redis, timed one at a time.</summary>
    private static async Task<(double P50, double P99)> PingAsync(string store, int count)
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(RedisCounterStore.Options(store, TimeSpan.FromSeconds(1)));
        var database = redis.GetDatabase();
        for (var i = 0; i < 2000; i++)
        {
            await database.PingAsync();
        }

        var latencies = new double[count];
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await database.PingAsync();
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        Array.Sort(latencies);
        return (latencies[count / 2], latencies[(int)(count * 0.99)]);
    }
}
