using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using Gateway.Tracking;
using OpenAI.Chat;

namespace Gateway.Tests.RateLimiting;

/// <summary>Rate limits through the real HTTP surface, with the in-memory store (the embedded default).</summary>
public sealed class RateLimitTests
{
    private const string Alice = TestConfigs.AliceKey;
    private const string Bob = TestConfigs.BobKey;

    internal static string Config(string limits, string extra = "", string upstream = "") => $$"""
        providers:
          demo: { type: mock }
        {{upstream}}
        endpoints:
          chat:
            targets: [ { provider: demo, model: mock-1 } ]
            limits: {{limits}}
        keys:
          - { key: {{Alice}}, name: alice-laptop, user: alice, groups: [marketing] }
          - { key: {{Bob}}, user: bob, groups: [marketing] }
        groups:
          marketing: {}
        pricing:
          mock-1: { input: 1000, output: 1000 }
        {{extra}}
        """;

    internal static HttpRequestMessage Chat(string key, string text = "hi", bool stream = false, int? maxTokens = null, string model = "chat")
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["model"] = model,
            ["stream"] = stream,
            ["max_tokens"] = maxTokens,
            ["messages"] = new[] { new { role = "user", content = text } },
        });
        return Http.Post("/v1/chat/completions", body, key);
    }

    [Fact]
    public async Task Over_the_limit_answers_429_in_OpenAI_shape_with_retry_after_and_rate_limit_headers()
    {
        await using var gateway = await GatewayHost.StartAsync(Config("[ { per: user, requests: 2, tokens: 100000, window: 1m } ]"));

        using var first = await gateway.Client.SendAsync(Chat(Alice));
        using var second = await gateway.Client.SendAsync(Chat(Alice));
        using var third = await gateway.Client.SendAsync(Chat(Alice));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("2", Header(first, "x-ratelimit-limit-requests"));
        Assert.Equal("1", Header(first, "x-ratelimit-remaining-requests"));
        Assert.Matches(@"^1m0(\.\d+)?s$", Header(first, "x-ratelimit-reset-requests"));
        Assert.Equal("100000", Header(first, "x-ratelimit-limit-tokens"));
        Assert.True(long.Parse(Header(first, "x-ratelimit-remaining-tokens")!) < 100000);
        Assert.NotNull(Header(first, "x-ratelimit-reset-tokens"));
        Assert.Equal("0", Header(second, "x-ratelimit-remaining-requests"));

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        var (message, type, code, param) = await Http.ReadErrorAsync(third);
        Assert.Equal(("requests", "rate_limit_exceeded", (string?)null), (type, code, param));
        Assert.Contains("requests per 1m on user 'alice' on endpoint 'chat'", message);
        Assert.Contains("limit 2 requests", message);
        var retryAfter = int.Parse(third.Headers.RetryAfter!.ToString());
        Assert.InRange(retryAfter, 59, 61);
        Assert.InRange(long.Parse(Header(third, "retry-after-ms")!), 58_000, 61_000);
        Assert.Equal("0", Header(third, "x-ratelimit-remaining-requests"));
        Assert.NotNull(Header(third, "x-request-id"));

        // Bob is another user: his own counter.
        using var bob = await gateway.Client.SendAsync(Chat(Bob));
        Assert.Equal(HttpStatusCode.OK, bob.StatusCode);

        // Each trace has the limiter's span: what it decided, where, and for a refusal which limit.
        var traces = await gateway.TracesAsync(expected: 4);
        var refusedSpan = traces.Single(t => t.StatusCode == 429).Spans.Single(s => s.Name == "rate_limit");
        string? Tag(SpanRecord span, string name) => span.Attributes[name]?.ToString();
        Assert.Equal(("limited", "user", "requests", "memory"), (Tag(refusedSpan, "gateway.rate_limit.outcome"), Tag(refusedSpan, "gateway.rate_limit.scope"),
            Tag(refusedSpan, "gateway.rate_limit.kind"), Tag(refusedSpan, "gateway.rate_limit.store")));
        Assert.All(traces.Where(t => t.StatusCode == 200), t => Assert.Equal("allowed", t.Spans.Single(s => s.Name == "rate_limit").Attributes["gateway.rate_limit.outcome"]?.ToString()));
    }

    [Fact]
    public async Task The_OpenAI_SDK_sees_the_429_as_a_rate_limit_with_its_code()
    {
        await using var gateway = await GatewayHost.StartAsync(Config("[ { per: key, requests: 1, window: 1h } ]"));
        var chat = gateway.Sdk(Alice).GetChatClient("chat");
        await chat.CompleteChatAsync([new UserChatMessage("hi")]);

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi again")]));
        Assert.Equal(429, refused.Status);
        Assert.Contains("rate_limit_exceeded", refused.Message);
        Assert.Contains("key 'alice-laptop' on endpoint 'chat'", refused.Message);
    }

    [Fact]
    public async Task A_shared_group_limit_names_the_group_and_never_another_members_usage()
    {
        await using var gateway = await GatewayHost.StartAsync(Config("[]", extra: "").Replace("marketing: {}", "marketing: { limits: [ { requests: 2, window: 1d } ] }", StringComparison.Ordinal));
        (await gateway.Client.SendAsync(Chat(Alice))).EnsureSuccessStatusCode();
        (await gateway.Client.SendAsync(Chat(Alice))).EnsureSuccessStatusCode();

        using var refused = await gateway.Client.SendAsync(Chat(Bob));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var (message, _, _, _) = await Http.ReadErrorAsync(refused);
        Assert.Contains("group 'marketing'", message);
        Assert.DoesNotContain("alice", message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("used", message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_request_larger_than_the_token_limit_is_refused_without_a_retry_after()
    {
        await using var gateway = await GatewayHost.StartAsync(Config("[ { tokens: 1000, window: 1m } ]"));
        using var refused = await gateway.Client.SendAsync(Chat(Alice, maxTokens: 5000));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var (message, type, code, _) = await Http.ReadErrorAsync(refused);
        Assert.Equal(("tokens", "rate_limit_exceeded"), (type, code));
        Assert.StartsWith("Request too large for tokens per 1m on endpoint 'chat': limit 1000 tokens, requested 50", message);
        Assert.Null(refused.Headers.RetryAfter);
    }

    [Fact]
    public async Task Tokens_reserved_before_the_call_are_settled_with_the_usage_the_provider_reported_streamed_or_not()
    {
        await using var gateway = await GatewayHost.StartAsync(Config("[ { tokens: 100000, window: 1h } ]"));
        const string text = "Tell me about the weather in Lisbon in spring.";

        // A plain call shows what the mock reports for this prompt.
        using var plain = await gateway.Client.SendAsync(Chat(Alice, text, maxTokens: 4000));
        var usage = (await plain.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("usage");
        var used = usage.GetProperty("prompt_tokens").GetInt64() + usage.GetProperty("completion_tokens").GetInt64();
        // The reservation (prompt + max_tokens) is visible while the answer is under way, in the response's headers.
        Assert.True(long.Parse(Header(plain, "x-ratelimit-remaining-tokens")!) <= 100000 - 4000);
        await WaitForRemainingAsync(gateway, "tokens", 100000 - used);

        // The same call streamed, without asking for usage: the gateway asks for it, settles, and keeps it from the caller.
        using var streamed = await gateway.Client.SendAsync(Chat(Alice, text, stream: true, maxTokens: 4000));
        var events = await streamed.Content.ReadAsStringAsync();
        Assert.DoesNotContain("\"usage\":{", events);
        await WaitForRemainingAsync(gateway, "tokens", 100000 - 2 * used);
    }

    [Fact]
    public async Task Tokens_are_settled_from_a_relayed_OpenAI_upstream_streamed_or_not()
    {
        await using var upstream = await FakeOpenAiServer.StartAsync();
        await using var gateway = await GatewayHost.StartAsync(WithOpenAiUpstream(upstream, "[ { tokens: 100000, window: 1h } ]"));

        using var plain = await gateway.Client.SendAsync(Chat(Alice, "Summarise the board minutes.", maxTokens: 3000));
        var usage = (await plain.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("usage");
        var used = usage.GetProperty("prompt_tokens").GetInt64() + usage.GetProperty("completion_tokens").GetInt64();
        await WaitForRemainingAsync(gateway, "tokens", 100000 - used);

        using var streamed = await gateway.Client.SendAsync(Chat(Alice, "Summarise the board minutes.", stream: true, maxTokens: 3000));
        Assert.DoesNotContain("\"usage\":{", await streamed.Content.ReadAsStringAsync());
        await WaitForRemainingAsync(gateway, "tokens", 100000 - 2 * used);
        // The gateway asked the provider for the usage chunk the caller did not ask for.
        Assert.Contains("\"include_usage\":true", upstream.Requests.Last().Body);
    }

    private static string WithOpenAiUpstream(FakeOpenAiServer upstream, string limits) =>
        Config(limits, upstream: $"  openai: {{ type: openai_compatible, base_url: {upstream.BaseUrl}, api_key: {upstream.ApiKey} }}")
            .Replace("provider: demo, model: mock-1", "provider: openai, model: gpt-4o-mini", StringComparison.Ordinal);

    [Fact]
    public async Task A_failed_call_gives_its_tokens_back_but_still_counts_as_a_request()
    {
        await using var upstream = await FakeOpenAiServer.StartAsync();
        await using var gateway = await GatewayHost.StartAsync(WithOpenAiUpstream(upstream, "[ { requests: 10, tokens: 100000, window: 1h } ]"));
        upstream.Enqueue(new Fault.Status(500));

        using var failed = await gateway.Client.SendAsync(Chat(Alice, maxTokens: 2000));
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.True(long.Parse(Header(failed, "x-ratelimit-remaining-tokens")!) <= 98000);

        await WaitForRemainingAsync(gateway, "tokens", 100000);
        Assert.Equal(9, (await LimitAsync(gateway, Alice, "requests")).GetProperty("remaining").GetInt64());
    }

    [Fact]
    public async Task A_cost_limit_counts_priced_usage_and_refuses_once_the_budget_is_spent()
    {
        // $1000 per 1M tokens either way: each token costs $0.001.
        await using var gateway = await GatewayHost.StartAsync(Config("[ { per: user, cost: 0.5, window: month } ]"));
        using var first = await gateway.Client.SendAsync(Chat(Alice, "What is a budget?"));
        var usage = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("usage");
        var spent = (usage.GetProperty("prompt_tokens").GetInt64() + usage.GetProperty("completion_tokens").GetInt64()) * 0.001m;

        await WaitForRemainingAsync(gateway, "cost", 0.5m - spent);

        HttpResponseMessage? refused = null;
        for (var i = 0; i < 100 && refused is null; i++)
        {
            var response = await gateway.Client.SendAsync(Chat(Alice, "What is a budget?"));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
            }
        }

        Assert.NotNull(refused);
        var (message, type, _, _) = await Http.ReadErrorAsync(refused);
        Assert.Equal("cost", type);
        Assert.Contains("cost per calendar month on user 'alice' on endpoint 'chat': limit $0.50", message);
    }

    [Fact]
    public async Task Changing_a_limit_keeps_its_counts_and_changing_its_window_starts_afresh()
    {
        await using var gateway = await GatewayHost.StartAsync(Config("[ { requests: 2, window: 1h } ]"));
        (await gateway.Client.SendAsync(Chat(Alice))).EnsureSuccessStatusCode();
        (await gateway.Client.SendAsync(Chat(Alice))).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.TooManyRequests, (await gateway.Client.SendAsync(Chat(Alice))).StatusCode);

        Assert.True((await gateway.RewriteConfigAsync(Config("[ { requests: 3, window: 1h } ]"))).Applied);
        using var third = await gateway.Client.SendAsync(Chat(Alice));
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal("0", Header(third, "x-ratelimit-remaining-requests"));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await gateway.Client.SendAsync(Chat(Alice))).StatusCode);

        Assert.True((await gateway.RewriteConfigAsync(Config("[ { requests: 3, window: 2h } ]"))).Applied);
        using var fresh = await gateway.Client.SendAsync(Chat(Alice));
        Assert.Equal("2", Header(fresh, "x-ratelimit-remaining-requests"));
    }

    [Fact]
    public async Task Limits_me_lists_every_limit_that_applies_to_the_caller_with_what_is_left()
    {
        var config = Config("[ { per: user, requests: 5, window: 1m } ]", extra: $$"""
            users:
              alice: { limits: [ { tokens: 50000, window: 1d } ] }
            """).Replace("marketing: {}", "marketing: { limits: [ { cost: 20, window: month } ] }", StringComparison.Ordinal)
            .Replace($"name: alice-laptop, user: alice, groups: [marketing] }}", $"name: alice-laptop, user: alice, groups: [marketing], limits: [ {{ requests: 1000, window: 1d }} ] }}", StringComparison.Ordinal);
        await using var gateway = await GatewayHost.StartAsync(config);
        (await gateway.Client.SendAsync(Chat(Alice))).EnsureSuccessStatusCode();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/limits/me");
        request.Headers.Authorization = new("Bearer", Alice);
        using var response = await gateway.Client.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("alice", body.GetProperty("user").GetString());
        Assert.Equal("memory", body.GetProperty("store").GetString());
        var limits = body.GetProperty("limits").EnumerateArray().Select(l => (
            l.GetProperty("scope").GetString(), l.GetProperty("subject").GetString(), l.GetProperty("endpoint").GetString(),
            l.GetProperty("kind").GetString(), l.GetProperty("window").GetString())).ToList();
        Assert.Equal(
        [
            ("user", "alice", "chat", "requests", "1m"),
            ("user", "alice", null, "tokens", "1d"),
            ("group", "marketing", null, "cost", "month"),
            ("key", "alice-laptop", null, "requests", "1d"),
        ], limits);
        var first = body.GetProperty("limits")[0];
        Assert.Equal(4, first.GetProperty("remaining").GetInt64());
        Assert.Equal(20m, body.GetProperty("limits")[2].GetProperty("limit_usd").GetDecimal());

        using var anonymous = await gateway.Client.GetAsync("/api/limits/me");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using var unknown = new HttpRequestMessage(HttpMethod.Get, "/api/limits/me?endpoint=nope");
        unknown.Headers.Authorization = new("Bearer", Alice);
        using var refused = await gateway.Client.SendAsync(unknown);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var (_, _, code, param) = await Http.ReadErrorAsync(refused);
        Assert.Equal(("invalid_query_parameter", "endpoint"), (code, param));
    }

    internal static async Task<JsonElement> LimitAsync(GatewayHost gateway, string key, string kind)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/limits/me");
        request.Headers.Authorization = new("Bearer", key);
        using var response = await gateway.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("limits").EnumerateArray().First(l => l.GetProperty("kind").GetString() == kind);
    }

    /// <summary>Settlement runs once the answer is complete, after the caller has it: wait (bounded) until it shows.</summary>
    internal static async Task WaitForRemainingAsync(GatewayHost gateway, string kind, decimal expected, string key = Alice)
    {
        using var timeout = new CancellationTokenSource(GatewayHost.Bound);
        decimal last;
        do
        {
            var limit = await LimitAsync(gateway, key, kind);
            last = kind == "cost" ? limit.GetProperty("remaining_usd").GetDecimal() : limit.GetProperty("remaining").GetDecimal();
            if (last == expected)
            {
                return;
            }

            await Task.Delay(10, CancellationToken.None);
        }
        while (!timeout.IsCancellationRequested);

        Assert.Fail($"{kind} remaining stayed at {last}, expected {expected}");
    }

    internal static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.First() : null;
}
