using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gateway.RateLimiting;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.RateLimiting;

/// <summary>Redis killed, restarted and paused under a running gateway: each test has a Redis of its own to break.</summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    private string Config(string onStoreDown, string limit = "requests: 4") =>
        RateLimitTests.Config($"[ {{ {limit}, window: 1h }} ]", $"rate_limits: {{ store: \"{_redis.Url}\", on_store_down: {onStoreDown} }}");

    [Fact]
    public async Task Allow_keeps_serving_on_local_limits_while_redis_is_down_and_shares_again_once_it_is_back()
    {
        await using var gateway = await GatewayHost.StartAsync(Config("allow"));
        Assert.Equal(["200", "200"], await SendAsync(gateway, 2));

        await _redis.KillAsync();
        // Alone (one replica counted), this gateway takes the whole limit locally, counting from zero.
        Assert.Equal(["200", "200", "200", "200", "429"], await SendAsync(gateway, 5));
        Assert.Equal("local", await StoreAsync(gateway));
        Assert.True(gateway.Services.GetRequiredService<GatewayRateLimiter>().StoreIsDown);

        await _redis.StartAsync();
        await WaitForStoreAsync(gateway, "redis");
        // The restarted Redis is empty: shared counting starts over, and the limit holds there again.
        Assert.Equal(["200", "200", "200", "200", "429"], await SendAsync(gateway, 5));
        Assert.False(gateway.Services.GetRequiredService<GatewayRateLimiter>().StoreIsDown);
    }

    [Fact]
    public async Task While_redis_is_down_each_of_three_replicas_admits_its_third_of_the_limit()
    {
        var config = Config("allow", limit: "requests: 6");
        await using var first = await GatewayHost.StartAsync(config);
        await using var second = await GatewayHost.StartAsync(config);
        await using var third = await GatewayHost.StartAsync(config);
        GatewayHost[] replicas = [first, second, third];
        foreach (var replica in replicas)
        {
            var limiter = replica.Services.GetRequiredService<GatewayRateLimiter>();
            await limiter.CountReplicasNowAsync(CancellationToken.None);
            Assert.Equal(3, limiter.Replicas);
        }

        await _redis.KillAsync();
        foreach (var replica in replicas)
        {
            Assert.Equal(["200", "200", "429"], await SendAsync(replica, 3));
        }
    }

    [Fact]
    public async Task Deny_answers_503_while_redis_is_down_and_serves_again_once_it_is_back()
    {
        await using var gateway = await GatewayHost.StartAsync(Config("deny"));
        Assert.Equal(["200"], await SendAsync(gateway, 1));

        await _redis.KillAsync();
        using var refused = await gateway.Client.SendAsync(RateLimitTests.Chat(TestConfigs.AliceKey));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var (message, type, code, _) = await Http.ReadErrorAsync(refused);
        Assert.Equal(("server_error", "rate_limit_store_unavailable"), (type, code));
        Assert.Contains("on_store_down is deny", message);
        Assert.DoesNotContain(_redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), message);
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());

        await _redis.StartAsync();
        await WaitForStoreAsync(gateway, "redis");
        Assert.Equal(["200"], await SendAsync(gateway, 1));
    }

    [Fact]
    public async Task A_gateway_started_while_redis_is_down_serves_on_local_limits_then_shares_once_redis_is_up()
    {
        await _redis.KillAsync();
        await using var gateway = await GatewayHost.StartAsync(Config("allow"));
        Assert.Equal(["200", "200", "200", "200", "429"], await SendAsync(gateway, 5));
        Assert.Equal("local", await StoreAsync(gateway));

        await _redis.StartAsync();
        await WaitForStoreAsync(gateway, "redis");
        Assert.Equal(["200", "200", "200", "200", "429"], await SendAsync(gateway, 5));
    }

    [Fact]
    public async Task A_paused_redis_costs_a_request_no_more_than_the_timeout()
    {
        // rate_limits.timeout is 100 ms by default.
        await using var gateway = await GatewayHost.StartAsync(Config("allow"));
        Assert.Equal(["200"], await SendAsync(gateway, 1));

        Assert.Equal("+OK", await _redis.CommandAsync("CLIENT PAUSE 4000 ALL"));
        var clock = Stopwatch.StartNew();
        Assert.Equal(["200"], await SendAsync(gateway, 1));
        // Decided locally after rate_limits.timeout (100 ms), long before the pause ends.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"took {clock.Elapsed}");
        Assert.True(gateway.Services.GetRequiredService<GatewayRateLimiter>().StoreIsDown);
        await _redis.CommandAsync("CLIENT UNPAUSE");
    }

    private static async Task<string[]> SendAsync(GatewayHost gateway, int count)
    {
        var statuses = new string[count];
        for (var i = 0; i < count; i++)
        {
            using var response = await gateway.Client.SendAsync(RateLimitTests.Chat(TestConfigs.AliceKey));
            statuses[i] = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return statuses;
    }

    private static async Task<string?> StoreAsync(GatewayHost gateway)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/limits/me");
        request.Headers.Authorization = new("Bearer", TestConfigs.AliceKey);
        using var response = await gateway.Client.SendAsync(request);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("store").GetString();
    }

    /// <summary>The client reconnects on its own (a heartbeat every 500 ms): wait, bounded, until the limits API reads from Redis again.</summary>
    private static async Task WaitForStoreAsync(GatewayHost gateway, string store)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await StoreAsync(gateway) != store)
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}
