using System.Collections.Concurrent;
using System.Net;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;

namespace Gateway.Tests.Functional;

/// <summary>
/// A bounded load test on loopback: steady concurrent traffic while the primary upstream is stopped and later
/// started again on the same port. Clients must see no error while the fallback is healthy, and traffic must
/// return to the primary once its circuit lets a probe through and the probe is answered.
/// </summary>
public sealed class FailoverLoadTests
{
    private const int Workers = 8;

    [Fact]
    public async Task Killing_and_restarting_the_primary_costs_no_client_errors_and_traffic_returns_to_it()
    {
        var primary = await FakeOpenAiServer.StartAsync();
        var port = primary.BaseUrl.Port;
        await using var backup = await FakeOpenAiServer.StartAsync();
        await using var gateway = await GatewayHost.StartAsync($$"""
            server: { listen: http://127.0.0.1:8080, auth: none }
            providers:
              primary:
                type: openai
                base_url: "{{primary.BaseUrl}}"
                api_key: {{primary.ApiKey}}
                circuit_breaker: { failure_ratio: 0.5, minimum_throughput: 4, sampling_duration: 2s, break_duration: 500ms }
              backup: { type: openai, base_url: "{{backup.BaseUrl}}", api_key: {{backup.ApiKey}} }
            endpoints:
              chat:
                timeouts: { connect: 1s, first_byte: 5s }
                targets: [ { provider: primary, model: gpt-4o-mini } ]
                fallbacks: [ { provider: backup, model: gpt-4o } ]
            """);

        var results = new ConcurrentQueue<(int Phase, HttpStatusCode Status, string? Provider)>();
        var phase = 1;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var counted = new SemaphoreSlim(0);
        async Task WorkAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")), stop.Token);
                    await response.Content.ReadAsStringAsync(stop.Token);
                    // The phase at completion: an answer done in phase 1 was done before the primary went away.
                    results.Enqueue((Volatile.Read(ref phase), response.StatusCode, response.Headers.TryGetValues("x-gateway-provider", out var p) ? p.Single() : null));
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (HttpRequestException)
                {
                    results.Enqueue((Volatile.Read(ref phase), 0, null));
                }

                counted.Release();
            }
        }

        async Task AwaitResponsesAsync(int count, Func<bool>? until = null)
        {
            for (var seen = 0; seen < count || (until is not null && !until()); seen++)
            {
                Assert.True(await counted.WaitAsync(TimeSpan.FromSeconds(30)), "traffic stalled");
            }
        }

        var workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(WorkAsync)).ToArray();
        await AwaitResponsesAsync(100);

        Volatile.Write(ref phase, 2);
        await primary.DisposeAsync(); // the primary goes away mid-traffic
        await AwaitResponsesAsync(200);

        Volatile.Write(ref phase, 3);
        await using var restarted = await FakeOpenAiServer.StartAsync(port: port);
        // Once the break is over a probe goes through, is answered, and the circuit closes: wait for that to show.
        await AwaitResponsesAsync(50, until: () => results.Where(r => r.Phase == 3).TakeLast(20).Count(r => r.Provider == "primary") == 20);
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        var all = results.ToList();
        var summary = string.Join(", ", all.GroupBy(r => (r.Phase, r.Status, r.Provider)).Select(g => $"phase {g.Key.Phase} {g.Key.Status} {g.Key.Provider}: {g.Count()}"));
        Assert.True(all.All(r => r.Status == HttpStatusCode.OK), summary);
        Assert.True(all.Where(r => r.Phase == 1).All(r => r.Provider == "primary"), summary);
        Assert.True(all.Any(r => r.Phase == 2 && r.Provider == "backup"), summary);
        // After the restart the circuit closes again: the last answers all come from the primary.
        Assert.True(all.Where(r => r.Phase == 3).TakeLast(20).All(r => r.Provider == "primary"), summary);
        Assert.NotEmpty(restarted.Requests);
    }
}
