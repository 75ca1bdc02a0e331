using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.RateLimiting;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.RateLimiting;

/// <summary>Limits shared through a real Redis: by concurrent callers of one gateway, and by three gateway processes.</summary>
[Collection(nameof(UsesRedis))]
public sealed class SharedLimitTests(RedisServer redis)
{
    [Theory]
    [InlineData("{ per: endpoint, requests: 20, window: 1h }", "", "endpoint 'chat'")]
    [InlineData("{ per: user, requests: 20, window: 1h }", "", "user 'alice' on endpoint 'chat'")]
    [InlineData("{ per: group, requests: 20, window: 1h }", "", "group 'marketing' on endpoint 'chat'")]
    [InlineData("{ per: key, requests: 20, window: 1h }", "", "key 'alice-laptop' on endpoint 'chat'")]
    [InlineData("", "users: { alice: { limits: [ { requests: 20, window: 1h } ] } }", "user 'alice'")]
    public async Task Concurrent_callers_of_one_gateway_get_exactly_the_limit(string endpointLimit, string extra, string scopeText)
    {
        // A generous timeout: exactness is about a store that answers (a slow one is RedisOutageTests' business).
        var config = RateLimitTests.Config($"[ {endpointLimit} ]", extra + $"\nrate_limits: {{ store: \"{redis.Url}\", key_prefix: \"http-{Guid.NewGuid():N}\", timeout: 5s }}");
        await using var gateway = await GatewayHost.StartAsync(config);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            using var response = await gateway.Client.SendAsync(RateLimitTests.Chat(TestConfigs.AliceKey));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Contains(scopeText, (await Http.ReadErrorAsync(response)).Message);
            }

            return response.StatusCode;
        }));

        Assert.Equal(0, gateway.Services.GetRequiredService<GatewayRateLimiter>().LocalDecisions);
        Assert.Equal(20, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(20, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task Token_settlements_reach_redis_and_count_for_every_replica()
    {
        var config = RateLimitTests.Config("[ { per: user, tokens: 50000, window: 1d } ]", $"rate_limits: {{ store: \"{redis.Url}\", key_prefix: \"settle-{Guid.NewGuid():N}\", timeout: 5s }}");
        await using var first = await GatewayHost.StartAsync(config);
        await using var second = await GatewayHost.StartAsync(config);

        long used = 0;
        foreach (var gateway in new[] { first, second, first })
        {
            using var response = await gateway.Client.SendAsync(RateLimitTests.Chat(TestConfigs.AliceKey, "How are the numbers?", maxTokens: 2000));
            var usage = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("usage");
            used += usage.GetProperty("prompt_tokens").GetInt64() + usage.GetProperty("completion_tokens").GetInt64();
        }

        // Whichever replica is asked, the shared counter holds what was used, not what was reserved.
        await RateLimitTests.WaitForRemainingAsync(second, "tokens", 50000 - used);
        await RateLimitTests.WaitForRemainingAsync(first, "tokens", 50000 - used);
    }

    [Fact]
    public async Task Three_gateway_processes_sharing_redis_admit_the_limit_between_them()
    {
        const int limit = 150;
        var config = RateLimitTests.Config($"[ {{ requests: {limit}, window: 1h }} ]", $"rate_limits: {{ store: \"{redis.Url}\", key_prefix: \"replicas-{Guid.NewGuid():N}\", timeout: 5s }}\ntracking: {{ enabled: false }}");
        var replicas = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => GatewayProcess.StartAsync(config)));
        try
        {
            // 12 concurrent clients, each sending to the three replicas in turn: 300 requests for 150 places.
            var admitted = 0;
            var refused = 0;
            await Task.WhenAll(Enumerable.Range(0, 12).Select(client => Task.Run(async () =>
            {
                for (var i = 0; i < 25; i++)
                {
                    var replica = replicas[(client + i) % replicas.Length];
                    using var response = await replica.Client.SendAsync(RateLimitTests.Chat(TestConfigs.AliceKey));
                    Interlocked.Increment(ref response.StatusCode == HttpStatusCode.OK ? ref admitted : ref refused);
                    Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"unexpected {response.StatusCode}");
                }
            })));

            Assert.InRange(admitted, (int)Math.Ceiling(0.99 * limit), limit);
            Assert.Equal(300, admitted + refused);
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }
}
