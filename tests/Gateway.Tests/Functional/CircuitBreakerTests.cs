using System.Net;
using System.Text.Json;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Functional;

/// <summary>
/// A target that keeps failing is skipped at once (no call reaches it) until its break is over, then probed
/// once, and taken back when the probe answers. The gateway's clock is a fake one, moved by the test.
/// </summary>
public sealed class CircuitBreakerTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private FakeOpenAiServer _primary = null!;
    private FakeOpenAiServer _backup = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _primary = await FakeOpenAiServer.StartAsync();
        _backup = await FakeOpenAiServer.StartAsync();
        _gateway = await GatewayHost.StartAsync($$"""
            server: { listen: http://127.0.0.1:8080, auth: none }
            providers:
              primary:
                type: openai
                base_url: "{{_primary.BaseUrl}}"
                api_key: {{_primary.ApiKey}}
                circuit_breaker: { failure_ratio: 0.5, minimum_throughput: 2, sampling_duration: 30s, break_duration: 5s }
              backup: { type: openai, base_url: "{{_backup.BaseUrl}}", api_key: {{_backup.ApiKey}} }
            endpoints:
              chat:
                targets: [ { provider: primary, model: gpt-4o-mini } ]
                fallbacks: [ { provider: backup, model: gpt-4o } ]
            """, services => services.AddSingleton<TimeProvider>(_clock));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _primary.DisposeAsync();
        await _backup.DisposeAsync();
    }

    private async Task<(string Provider, string Attempts)> ChatAsync()
    {
        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (response.Headers.GetValues("x-gateway-provider").Single(), response.Headers.GetValues("x-gateway-attempts").Single());
    }

    private async Task<JsonElement> PrimaryTargetAsync()
    {
        using var response = await _gateway.Client.GetAsync(new Uri("/admin/targets", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var targets = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("targets");
        return targets.EnumerateArray().Single(t => t.GetProperty("provider").GetString() == "primary").Clone();
    }

    [Fact]
    public async Task Failing_target_opens_is_skipped_is_probed_after_its_break_and_closes_when_it_answers()
    {
        _primary.Enqueue(new Fault.Status(500));
        _primary.Enqueue(new Fault.Status(500));

        Assert.Equal(("backup", "2"), await ChatAsync());
        Assert.Equal("closed", (await PrimaryTargetAsync()).GetProperty("circuit").GetString()); // one call is below minimum_throughput
        Assert.Equal(("backup", "2"), await ChatAsync());
        var opened = await PrimaryTargetAsync();
        Assert.Equal("open", opened.GetProperty("circuit").GetString());
        Assert.Equal((2, 1.0), (opened.GetProperty("recent").GetProperty("calls").GetInt32(), opened.GetProperty("recent").GetProperty("error_rate").GetDouble()));

        // Open: the primary is not called at all, and only the backup counts as an attempt.
        Assert.Equal(("backup", "1"), await ChatAsync());
        Assert.Equal(2, _primary.Requests.Count);

        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(("primary", "1"), await ChatAsync()); // the probe, answered
        Assert.Equal("closed", (await PrimaryTargetAsync()).GetProperty("circuit").GetString());
        Assert.Equal(("primary", "1"), await ChatAsync());
        Assert.Equal(4, _primary.Requests.Count);
    }

    [Fact]
    public async Task Failed_probe_opens_the_circuit_again()
    {
        _primary.Enqueue(new Fault.Status(503));
        _primary.Enqueue(new Fault.Status(503));
        _primary.Enqueue(new Fault.Status(503));
        await ChatAsync();
        await ChatAsync();

        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(("backup", "2"), await ChatAsync()); // probe failed

        Assert.Equal("open", (await PrimaryTargetAsync()).GetProperty("circuit").GetString());
        Assert.Equal(("backup", "1"), await ChatAsync());
        Assert.Equal(3, _primary.Requests.Count);
    }

    [Fact]
    public async Task Circuit_is_shared_by_every_endpoint_that_uses_the_target_and_survives_a_reload()
    {
        _primary.Enqueue(new Fault.Status(500));
        _primary.Enqueue(new Fault.Status(500));
        await ChatAsync();
        await ChatAsync();

        // The file watcher's debounce runs on the fake clock, so the reload is asked for directly.
        await File.WriteAllTextAsync(_gateway.ConfigPath, await File.ReadAllTextAsync(_gateway.ConfigPath) + """

              other:
                targets: [ { provider: primary, model: gpt-4o-mini } ]
                fallbacks: [ { provider: backup, model: gpt-4o } ]
            """);
        using var reload = await _gateway.Client.PostAsync(new Uri("/admin/reload", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("other")));

        Assert.Equal("backup", response.Headers.GetValues("x-gateway-provider").Single());
        Assert.Equal(2, _primary.Requests.Count);
        Assert.Equal(["chat", "other"], (await PrimaryTargetAsync()).GetProperty("endpoints").EnumerateArray().Select(e => e.GetString()));
    }
}
