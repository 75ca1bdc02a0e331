using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Gateway.Tests.Support;

namespace Gateway.Tests.Functional;

/// <summary>The split through the real HTTP surface: weights follow hot reloads, and sticky users stay put.</summary>
public sealed class TrafficSplitTests
{
    private static string Config(int weightA, int weightB, string sticky = "") => $$"""
        server: { listen: http://127.0.0.1:8080 }
        providers:
          demo: { type: mock }
        endpoints:
          chat:
            {{sticky}}
            targets: [ { provider: demo, model: model-a, weight: {{weightA}} }, { provider: demo, model: model-b, weight: {{weightB}} } ]
        keys:
          - { key: {{TestConfigs.AliceKey}}, user: alice }
          - { key: {{TestConfigs.BobKey}}, user: bob }
          - { key: gw-carol-0123456789abcdef, user: carol }
          - { key: gw-dave-0123456789abcdef0, user: dave }
        """;

    private static async Task<string> ServedByAsync(GatewayHost gateway, string key)
    {
        using var response = await gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat"), key));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("x-gateway-model").Single();
    }

    [Fact]
    public async Task Weight_change_applies_on_hot_reload()
    {
        // A seeded chooser: the same draws every run, so the one-in-a-million weights decide deterministically.
        await using var gateway = await GatewayHost.StartAsync(Config(1, 1_000_000), services => services.AddSingleton(new Random(42)));
        var before = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            before.Add(await ServedByAsync(gateway, TestConfigs.AliceKey));
        }

        await gateway.RewriteConfigAsync(Config(1_000_000, 1));
        var after = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            after.Add(await ServedByAsync(gateway, TestConfigs.AliceKey));
        }

        Assert.All(before, m => Assert.Equal("model-b", m));
        Assert.All(after, m => Assert.Equal("model-a", m));
    }

    [Fact]
    public async Task Sticky_users_keep_their_target_for_every_call()
    {
        await using var gateway = await GatewayHost.StartAsync(Config(1, 1, sticky: "sticky: user"));
        string[] keys = [TestConfigs.AliceKey, TestConfigs.BobKey, "gw-carol-0123456789abcdef", "gw-dave-0123456789abcdef0"];

        var first = new Dictionary<string, string>();
        foreach (var key in keys)
        {
            first[key] = await ServedByAsync(gateway, key);
        }

        for (var round = 0; round < 10; round++)
        {
            foreach (var key in keys)
            {
                Assert.Equal(first[key], await ServedByAsync(gateway, key));
            }
        }
    }
}
