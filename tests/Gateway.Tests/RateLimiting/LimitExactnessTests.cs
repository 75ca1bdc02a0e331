using System.Globalization;
using System.Text;
using Gateway.Auth;
using Gateway.RateLimiting;
using Gateway.Tests.Support;
using Gateway.Tracking;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.RateLimiting;

/// <summary>
/// Every scope (endpoint, user, group, key) and kind (requests, tokens, cost) under concurrent load on a real Redis:
/// the admitted amount never exceeds the limit and reaches at least 99% of it. Each case has a limit of exactly
/// <see cref="Fits"/> requests' worth, so an exact limiter admits exactly that many.
/// </summary>
[Collection(nameof(UsesRedis))]
public sealed class LimitExactnessTests(RedisServer redis) : IAsyncLifetime
{
    private const int Fits = 100;
    private const string KeySuffix = "-0123456789abcdef";
    private const int Workers = 16;
    private const int AttemptsPerWorker = 10;
    private const long MaxTokens = 90;
    private static readonly string[] Scopes = ["endpoint", "user", "group", "key"];
    private static readonly string[] Kinds = ["requests", "tokens", "cost"];
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(Http.Chat("free", "Please summarise the quarterly numbers for the board."));

    private GatewayHost _gateway = null!;
    private long _tokensPerRequest;
    private long _nanoUsdPerRequest;

    public async Task InitializeAsync()
    {
        // The limiter reserves the prompt (counted with o200k_base) plus max_tokens; cost at $1/M in, $2/M out.
        var prompt = Prompts.Count(TokenCounter.Shared, Body);
        _tokensPerRequest = prompt + MaxTokens;
        _nanoUsdPerRequest = prompt * 1000 + MaxTokens * 2000;
        _gateway = await GatewayHost.StartAsync(Config());
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var scope in Scopes)
        {
            foreach (var kind in Kinds)
            {
                cases.Add(scope, kind);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Concurrent_requests_are_admitted_up_to_the_limit_and_never_past_it(string scope, string kind)
    {
        var snapshot = _gateway.Store.Current;
        var key = scope == "endpoint" ? "key-plain" : $"key-{scope}-{kind}";
        var caller = snapshot.Keys.Find(key + KeySuffix)!;
        var endpoint = scope == "endpoint" ? $"endpoint-{kind}" : "free";
        var limiter = _gateway.Services.GetRequiredService<GatewayRateLimiter>();
        var admitted = 0;

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < AttemptsPerWorker; i++)
            {
                using var texts = Prompts.Read(Body);
                using var lease = await limiter.AcquireAsync(new LimitRequest(snapshot.Config, caller, endpoint, Body, texts, MaxTokens));
                if (lease.IsAcquired)
                {
                    Interlocked.Increment(ref admitted);
                }
                else
                {
                    var denied = ((LimitLease)lease).DeniedLimit!;
                    Assert.Equal((scope, kind), (denied.Scope, denied.Kind.Name()));
                }
            }
        })));

        Assert.Equal("redis", limiter.StoreName);
        Assert.Equal(0, limiter.LocalDecisions);
        Assert.InRange(admitted, (int)Math.Ceiling(0.99 * Fits), Fits);
    }

    private string Config()
    {
        var tokenLimit = (Fits * _tokensPerRequest).ToString(CultureInfo.InvariantCulture);
        var costLimit = (Fits * _nanoUsdPerRequest / 1e9m).ToString(CultureInfo.InvariantCulture);
        string Limit(string kind) => kind switch
        {
            "requests" => $"{{ requests: {Fits}, window: 1h }}",
            "tokens" => $"{{ tokens: {tokenLimit}, window: 1h }}",
            _ => $"{{ cost: {costLimit}, window: 1h }}",
        };

        var yaml = new StringBuilder($$"""
            providers:
              demo: { type: mock }
            pricing:
              mock-1: { input: 1, output: 2 }
            rate_limits: { store: "{{redis.Url}}", key_prefix: "exact-{{Guid.NewGuid():N}}", timeout: 5s }
            tracking: { enabled: false }
            endpoints:
              free: { targets: [ { provider: demo, model: mock-1 } ] }

            """);
        foreach (var kind in Kinds)
        {
            yaml.AppendLine($"  endpoint-{kind}: {{ targets: [ {{ provider: demo, model: mock-1 }} ], limits: [ {Limit(kind)} ] }}");
        }

        yaml.AppendLine("keys:");
        yaml.AppendLine($"  - {{ key: key-plain{KeySuffix}, user: plain }}");
        foreach (var kind in Kinds)
        {
            yaml.AppendLine($"  - {{ key: key-user-{kind}{KeySuffix}, user: user-{kind} }}");
            yaml.AppendLine($"  - {{ key: key-group-{kind}{KeySuffix}, user: member-{kind}, groups: [group-{kind}] }}");
            yaml.AppendLine($"  - {{ key: key-key-{kind}{KeySuffix}, name: key-{kind}, user: keyholder-{kind}, limits: [ {Limit(kind)} ] }}");
        }

        yaml.AppendLine("users:");
        foreach (var kind in Kinds)
        {
            yaml.AppendLine($"  user-{kind}: {{ limits: [ {Limit(kind)} ] }}");
        }

        yaml.AppendLine("groups:");
        foreach (var kind in Kinds)
        {
            yaml.AppendLine($"  group-{kind}: {{ limits: [ {Limit(kind)} ] }}");
        }

        return yaml.ToString();
    }
}
