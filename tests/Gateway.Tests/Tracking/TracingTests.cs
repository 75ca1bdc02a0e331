using System.ClientModel;
using System.Net;
using System.Text.Json;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using Gateway.Tracking;
using OpenAI;
using OpenAI.Chat;

namespace Gateway.Tests.Tracking;

/// <summary>
/// One trace per request, through the real HTTP surface: chat, streams, embeddings, failures and fallbacks each
/// leave exactly one trace with the right spans, tokens and cost (checked against hand-computed figures).
/// </summary>
public sealed class TracingTests : IAsyncLifetime
{
    private const string AliceKey = "gw-alice-0123456789abcdef";
    private FakeOpenAiServer _openai = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _openai = await FakeOpenAiServer.StartAsync();
        _gateway = await GatewayHost.StartAsync(Config());
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _openai.DisposeAsync();
    }

    private string Config(string extraEndpoints = "") => $$"""
        server: { auth: keys }
        keys:
          - { key: {{AliceKey}}, name: alice-laptop, user: alice, groups: [eng, ml] }
        groups: { eng: {}, ml: {} }
        providers:
          openai: { type: openai, base_url: "{{_openai.BaseUrl}}", api_key: {{_openai.ApiKey}}, circuit_breaker: { enabled: false } }
          demo: { type: mock }
        endpoints:
          chat:
            targets: [ { provider: openai, model: gpt-4o-mini } ]
          flaky:
            retry: { attempts: 2, backoff: 1ms }
            targets: [ { provider: openai, model: gpt-4o-mini } ]
          failover:
            targets: [ { provider: openai, model: gpt-4o } ]
            fallbacks: [ { provider: demo, model: mock-backup } ]
          embed:
            type: embeddings
            targets: [ { provider: demo, model: mock-embed } ]
        {{extraEndpoints}}
        pricing:
          gpt-4o-mini: { input: 0.15, output: 0.60, cached_input: 0.075 }
          demo/mock-embed: { input: 0.02, output: 0 }
        tracking: { capture: preview, preview_chars: 40 }
        """;

    private OpenAIClient Sdk() => new(new ApiKeyCredential(AliceKey), _gateway.SdkOptions());

    [Fact]
    public async Task A_chat_leaves_one_trace_with_its_spans_usage_and_cost_from_the_price_table()
    {
        _openai.CachedTokens = 8;
        _openai.ReasoningTokens = 2;
        var result = await Sdk().GetChatClient("chat").CompleteChatAsync([new UserChatMessage("Tell me about the weather in Lisbon today")]);
        var usage = result.Value.Usage;

        var trace = await _gateway.SingleTraceAsync();

        Assert.Equal(result.GetRawResponse().Headers.TryGetValue("x-request-id", out var id) ? id : null, trace.RequestId);
        Assert.Equal(("OK", 200, "chat", false), (trace.State, trace.StatusCode, trace.Operation, trace.Stream));
        Assert.Null(trace.ParentSpanId); // no traceparent: the gateway's span is the trace's root
        Assert.Equal(("chat", "alice", "alice-laptop", "openai", "gpt-4o-mini", 1), (trace.Endpoint, trace.User, trace.KeyId, trace.Provider, trace.Model, trace.Attempts));
        Assert.Equal(["eng", "ml"], trace.Groups);
        Assert.Equal((usage.InputTokenCount, usage.OutputTokenCount, 8L, 2L, false),
            ((int)trace.PromptTokens, (int)trace.CompletionTokens, trace.CachedTokens, trace.ReasoningTokens, trace.UsageEstimated));
        // By hand: uncached prompt tokens at $0.15/1M (150 nano-USD each), cached at $0.075/1M (75), output at $0.60/1M (600).
        Assert.Equal((usage.InputTokenCount - 8) * 150L + 8 * 75L + usage.OutputTokenCount * 600L, trace.CostNanoUsd);
        Assert.True(trace.Priced);
        Assert.NotNull(trace.TimeToFirstTokenMs);
        Assert.Equal(["auth", "chat gpt-4o-mini", "chat chat"], trace.Spans.Select(s => s.Name));
        var attempt = trace.Spans[1];
        Assert.Equal(trace.SpanId, attempt.ParentSpanId);
        Assert.Equal("openai", attempt.Attributes["gen_ai.system"]?.ToString());
        Assert.Equal("gpt-4o-mini", attempt.Attributes["gen_ai.request.model"]?.ToString());
        Assert.Equal("gpt-4o-mini", attempt.Attributes["gen_ai.response.model"]?.ToString());
        Assert.Equal("200", attempt.Attributes["http.response.status_code"]?.ToString());
        var root = trace.Spans[2];
        Assert.Equal(usage.InputTokenCount.ToString(System.Globalization.CultureInfo.InvariantCulture), root.Attributes["gen_ai.usage.input_tokens"]?.ToString());
        Assert.Equal("{\"messages\":[{\"role\":\"user\",\"content\":\"T", trace.RequestBody);
        Assert.StartsWith("{\"id\":\"chatcmpl-", trace.ResponseBody, StringComparison.Ordinal);
        Assert.Equal(40, trace.ResponseBody!.Length);
    }

    [Fact]
    public async Task A_stream_whose_caller_asked_no_usage_is_still_accounted_and_the_caller_sees_no_usage_chunk()
    {
        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat", "Stream me a story", stream: true), AliceKey));
        var body = await response.Content.ReadAsStringAsync();

        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.DoesNotContain(events, e => e.Contains("\"choices\":[]", StringComparison.Ordinal));
        var sent = JsonDocument.Parse(Assert.Single(_openai.Requests).Body).RootElement;
        Assert.True(sent.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        var trace = await _gateway.SingleTraceAsync();
        Assert.True(trace.Stream);
        Assert.False(trace.UsageEstimated);
        Assert.True(trace.PromptTokens > 0 && trace.CompletionTokens > 0);
        Assert.Equal((trace.PromptTokens - 0) * 150 + trace.CompletionTokens * 600, trace.CostNanoUsd);
        Assert.Equal("Hello from the fake OpenAI upstream. How", trace.ResponseBody);
    }

    [Fact]
    public async Task A_stream_whose_caller_asked_for_usage_gets_the_usage_chunk_the_trace_reads()
    {
        var chat = Sdk().GetChatClient("chat");
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("hi")], new ChatCompletionOptions()))
        {
            usage ??= update.Usage;
        }

        Assert.NotNull(usage); // the OpenAI SDK asks for usage on every stream
        var trace = await _gateway.SingleTraceAsync();
        Assert.Equal((usage.InputTokenCount, usage.OutputTokenCount), ((int)trace.PromptTokens, (int)trace.CompletionTokens));
    }

    [Fact]
    public async Task A_stream_cut_short_is_counted_by_the_tokenizer_and_marked_estimated()
    {
        _openai.Enqueue(new Fault.TruncatedStreamAfter(4));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat", "Count these words please", stream: true), AliceKey));
        await response.Content.ReadAsStringAsync();

        var trace = await _gateway.SingleTraceAsync();
        Assert.Equal("ERROR", trace.State);
        Assert.True(trace.UsageEstimated);
        // o200k_base: "Count these words please" is 4 tokens, "user" 1, plus 3 per message and 3 for the reply.
        Assert.Equal(11, trace.PromptTokens);
        Assert.True(trace.CompletionTokens > 0);
    }

    [Fact]
    public async Task Embeddings_leave_a_trace_with_their_prompt_tokens_priced_by_provider_and_model()
    {
        var result = await Sdk().GetEmbeddingClient("embed").GenerateEmbeddingsAsync(["one", "two three"]);

        var trace = await _gateway.SingleTraceAsync();
        Assert.Equal(("embeddings", "demo", "mock-embed"), (trace.Operation, trace.Provider, trace.Model));
        Assert.Equal(result.Value.Usage.InputTokenCount, (int)trace.PromptTokens);
        Assert.Equal(trace.PromptTokens * 20, trace.CostNanoUsd);
        Assert.Equal(["auth", "embeddings mock-embed", "embeddings embed"], trace.Spans.Select(s => s.Name));
    }

    [Fact]
    public async Task A_failed_request_leaves_one_error_trace_with_a_span_per_attempt()
    {
        _openai.Enqueue(new Fault.Status(500));
        _openai.Enqueue(new Fault.Status(503));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("flaky"), AliceKey));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var trace = await _gateway.SingleTraceAsync();
        Assert.Equal(("ERROR", 503, 2, 0L), (trace.State, trace.StatusCode, trace.Attempts, trace.CostNanoUsd));
        Assert.NotNull(trace.ErrorCode);
        var attempts = trace.Spans.Where(s => s.Name == "chat gpt-4o-mini").ToList();
        Assert.Equal(["500", "503"], attempts.Select(a => a.Attributes["http.response.status_code"]?.ToString()));
        Assert.All(attempts, a => Assert.Equal("ERROR", a.Status));
    }

    [Fact]
    public async Task A_fallback_leaves_one_trace_naming_the_target_that_answered()
    {
        _openai.Enqueue(new Fault.Status(503));

        var result = await Sdk().GetChatClient("failover").CompleteChatAsync([new UserChatMessage("hi")]);

        var trace = await _gateway.SingleTraceAsync();
        Assert.Equal(("OK", "demo", "mock-backup", 2, false), (trace.State, trace.Provider, trace.Model, trace.Attempts, trace.Priced));
        Assert.Equal(result.Value.Usage.InputTokenCount, (int)trace.PromptTokens);
        Assert.Equal(["failed", "served"], trace.Spans.Where(s => s.Attributes.ContainsKey("gateway.outcome")).Select(s => s.Attributes["gateway.outcome"]?.ToString()));
    }

    [Fact]
    public async Task A_request_without_a_valid_key_leaves_an_error_trace_with_no_user()
    {
        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat"), "gw-wrong-key-000000000000"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var trace = await _gateway.SingleTraceAsync();
        Assert.Equal(("ERROR", 401, (string?)null, (string?)null, 0), (trace.State, trace.StatusCode, trace.User, trace.Endpoint, trace.Attempts));
        Assert.Equal("invalid_api_key", trace.ErrorCode);
        Assert.Equal("ERROR", Assert.Single(trace.Spans, s => s.Name == "auth").Status);
    }

    [Fact]
    public async Task The_callers_traceparent_is_continued()
    {
        var request = Http.Post("/v1/chat/completions", Http.Chat("chat"), AliceKey);
        request.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        using var response = await _gateway.Client.SendAsync(request);

        var trace = await _gateway.SingleTraceAsync();
        Assert.Equal(("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"), (trace.TraceId, trace.ParentSpanId));
        Assert.NotEqual(trace.TraceId, trace.RequestId);
    }

    [Fact]
    public async Task Capture_follows_the_endpoint_override()
    {
        await using var gateway = await GatewayHost.StartAsync(Config("""
              hidden: { capture: none, targets: [ { provider: demo, model: m } ] }
              everything: { capture: full, targets: [ { provider: demo, model: m } ] }
            """));

        foreach (var endpoint in new[] { "hidden", "everything" })
        {
            using var response = await gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat(endpoint, "a secret plan"), AliceKey));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var traces = (await gateway.TracesAsync(expected: 2)).ToDictionary(t => t.Endpoint!);
        Assert.Equal((null, null), (traces["hidden"].RequestBody, traces["hidden"].ResponseBody));
        Assert.Equal(Http.Chat("everything", "a secret plan"), traces["everything"].RequestBody);
        Assert.EndsWith("}", traces["everything"].ResponseBody, StringComparison.Ordinal);
        Assert.Contains("a secret plan", traces["everything"].ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_call_to_an_endpoint_that_captures_nothing_is_not_captured_by_the_default()
    {
        await using var gateway = await GatewayHost.StartAsync(Config("""
              hidden: { capture: none, targets: [ { provider: demo, model: m } ] }
            """));

        // A chat endpoint called as embeddings: refused after the endpoint was found.
        using var response = await gateway.Client.SendAsync(Http.Post("/v1/embeddings", """{"model":"hidden","input":"a secret plan"}""", AliceKey));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var trace = await gateway.SingleTraceAsync();
        Assert.Equal(("hidden", null), (trace.Endpoint, trace.RequestBody));
    }
}
