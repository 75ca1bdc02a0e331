using System.Diagnostics;
using System.Net;
using System.Text.Json;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using OpenAI.Chat;

namespace Gateway.Tests.Functional;

/// <summary>
/// Retries, fallbacks, timeouts and the deadline against fake upstreams that fail on cue: what the client saw,
/// which targets were tried (x-gateway-* headers and the upstreams' own logs) and how long it took.
/// </summary>
public sealed class ResilienceTests : IAsyncLifetime
{
    private FakeOpenAiServer _primary = null!;
    private FakeOpenAiServer _backup = null!;
    private FakeOpenAiServer _large = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _primary = await FakeOpenAiServer.StartAsync();
        _backup = await FakeOpenAiServer.StartAsync();
        _backup.ReplyText = "Hello from the backup.";
        _large = await FakeOpenAiServer.StartAsync();
        _large.ReplyText = "Hello from the large-context model.";
        _gateway = await GatewayHost.StartAsync(Config());
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _primary.DisposeAsync();
        await _backup.DisposeAsync();
        await _large.DisposeAsync();
    }

    private string Config(string settings = "retry: { attempts: 2, backoff: 10ms }") => $$"""
        server: { listen: http://127.0.0.1:8080, auth: none }
        providers:
          primary: { type: openai, base_url: "{{_primary.BaseUrl}}", api_key: {{_primary.ApiKey}}, circuit_breaker: { enabled: false } }
          backup: { type: openai, base_url: "{{_backup.BaseUrl}}", api_key: {{_backup.ApiKey}}, circuit_breaker: { enabled: false } }
          large: { type: openai, base_url: "{{_large.BaseUrl}}", api_key: {{_large.ApiKey}} }
        endpoints:
          chat:
            timeouts: { first_byte: 2s, idle: 2s }
            {{settings}}
            targets: [ { provider: primary, model: gpt-4o-mini } ]
            fallbacks: [ { provider: backup, model: gpt-4o } ]
            context_length_fallbacks: [ { provider: large, model: gpt-4o } ]
        """;

    private async Task<(HttpResponseMessage Response, string Body, TimeSpan Took)> ChatAsync(bool stream = false)
    {
        var clock = Stopwatch.StartNew();
        var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat", stream: stream)));
        var body = await response.Content.ReadAsStringAsync();
        return (response, body, clock.Elapsed);
    }

    private static string Header(HttpResponseMessage response, string name) => response.Headers.GetValues(name).Single();

    private static string Message(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("message").GetString()!;

    [Fact]
    public async Task Burst_of_503s_is_retried_then_falls_back_and_the_client_sees_who_answered()
    {
        _primary.Enqueue(new Fault.Status(503));
        _primary.Enqueue(new Fault.Status(503));

        var (response, body, _) = await ChatAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Hello from the backup.", body, StringComparison.Ordinal);
        Assert.Equal(("backup", "gpt-4o", "3"), (Header(response, "x-gateway-provider"), Header(response, "x-gateway-model"), Header(response, "x-gateway-attempts")));
        Assert.Equal(2, _primary.Requests.Count);
        Assert.Single(_backup.Requests);
    }

    [Fact]
    public async Task A_stream_whose_first_event_is_not_json_falls_back_before_the_caller_sees_anything()
    {
        _primary.Enqueue(new Fault.MalformedChunk(0));
        _primary.Enqueue(new Fault.MalformedChunk(0));

        var (response, body, _) = await ChatAsync(stream: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("backup", Header(response, "x-gateway-provider"));
        Assert.DoesNotContain("chatcmpl-broken", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\"error\"", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.Single(_backup.Requests);
    }

    [Fact]
    public async Task A_200_answer_that_is_not_json_falls_back_before_the_caller_sees_anything()
    {
        // A proxy in front of the provider answering its own page with status 200: no attempt of it may reach the caller.
        _primary.Enqueue(new Fault.Status(200, "<html><body>Service temporarily unavailable</body></html>", "text/html"));
        _primary.Enqueue(new Fault.Status(200, """{"id":"chatcmpl-cut","choices":[{"index":0,"mess""", "application/json"));

        var (response, body, _) = await ChatAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("backup", Header(response, "x-gateway-provider"));
        Assert.Equal("Hello from the backup.", JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(2, _primary.Requests.Count);
    }

    [Fact]
    public async Task When_no_target_answers_json_the_caller_gets_a_502_protocol_error_in_openai_shape()
    {
        await _gateway.RewriteConfigAsync(Config("retry: { attempts: 1 }"));
        _primary.Enqueue(new Fault.Status(200, "<html>oops</html>", "text/html"));
        _backup.Enqueue(new Fault.Status(200, "not json at all", "application/json"));

        var (response, body, _) = await ChatAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream_protocol_error", JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("not one JSON object", Message(body), StringComparison.Ordinal);
        Assert.DoesNotContain("oops", body, StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f]{32}$", Header(response, "x-request-id"));
    }

    [Fact]
    public async Task A_failed_attempt_keeps_the_gateway_request_id_and_the_answering_upstream_id_rides_beside_it()
    {
        _primary.Enqueue(new Fault.Status(500));
        _primary.Enqueue(new Fault.Status(500));

        var (response, _, _) = await ChatAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches("^[0-9a-f]{32}$", Header(response, "x-request-id"));
        Assert.StartsWith("req_", Header(response, "x-upstream-request-id"), StringComparison.Ordinal); // the backup's, once, not ours beside it
    }

    [Fact]
    public async Task When_every_target_fails_the_error_still_names_the_request()
    {
        await _gateway.RewriteConfigAsync(Config("retry: { attempts: 1 }"));
        _primary.Enqueue(new Fault.Status(500));
        _backup.Enqueue(new Fault.Status(503));

        var (response, _, _) = await ChatAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Matches("^[0-9a-f]{32}$", Header(response, "x-request-id"));
        Assert.StartsWith("req_", Header(response, "x-upstream-request-id"), StringComparison.Ordinal); // the relayed error's provider id, once
    }

    [Fact]
    public async Task Retry_waits_as_long_as_retry_after_says_and_the_same_target_then_answers()
    {
        _primary.Enqueue(new Fault.Status(429, Headers: new Dictionary<string, string> { ["retry-after"] = "0.3" }));

        var (response, _, took) = await ChatAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("primary", "2"), (Header(response, "x-gateway-provider"), Header(response, "x-gateway-attempts")));
        Assert.True(took >= TimeSpan.FromMilliseconds(300), $"answered after {took}, before the Retry-After");
        Assert.Empty(_backup.Requests);
    }

    [Fact]
    public async Task Retry_after_beyond_the_cap_goes_to_the_fallback_at_once()
    {
        _primary.Enqueue(new Fault.Status(429, Headers: new Dictionary<string, string> { ["retry-after"] = "60" }));

        var (response, _, took) = await ChatAsync();

        Assert.Equal(("backup", "2"), (Header(response, "x-gateway-provider"), Header(response, "x-gateway-attempts")));
        Assert.Single(_primary.Requests);
        Assert.True(took < TimeSpan.FromSeconds(5), $"took {took}");
    }

    [Fact]
    public async Task Connection_reset_falls_back()
    {
        await _gateway.RewriteConfigAsync(Config("retry: { attempts: 1 }"));
        _primary.Enqueue(new Fault.Reset());

        var (response, body, _) = await ChatAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Hello from the backup.", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hung_upstream_is_abandoned_at_the_first_byte_timeout_and_the_fallback_answers()
    {
        await _gateway.RewriteConfigAsync(Config("retry: { attempts: 1 }"));
        _primary.Enqueue(new Fault.Hang());

        var (response, body, took) = await ChatAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Hello from the backup.", body, StringComparison.Ordinal);
        Assert.InRange(took, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(6));
        await Assert.Single(_primary.Requests).Aborted.WaitAsync(GatewayHost.Bound);
    }

    [Fact]
    public async Task Stream_that_goes_quiet_ends_with_a_timeout_event_and_is_never_replayed_elsewhere()
    {
        _primary.Enqueue(new Fault.StreamGate(new TaskCompletionSource())); // sends two chunks, then nothing

        var (response, body, took) = await ChatAsync(stream: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"code\":\"upstream_timeout\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
        Assert.InRange(took, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(6));
        Assert.Empty(_backup.Requests);
        Assert.Equal("1", Header(response, "x-gateway-attempts"));
    }

    [Fact]
    public async Task Stream_cut_by_the_upstream_ends_with_an_error_event_in_openai_shape()
    {
        _primary.Enqueue(new Fault.TruncatedStreamAfter(3));

        var (response, body, _) = await ChatAsync(stream: true);

        var lastEvent = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("upstream_stream_interrupted", JsonDocument.Parse(lastEvent["data: ".Length..]).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(_backup.Requests);
    }

    [Fact]
    public async Task Context_length_error_goes_to_the_large_context_fallback_not_the_ordinary_one()
    {
        _primary.Enqueue(new Fault.Status(400, OpenAiErrors.Body(
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens.", "invalid_request_error", "messages", "context_length_exceeded")));

        var (response, body, _) = await ChatAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Hello from the large-context model.", body, StringComparison.Ordinal);
        Assert.Equal("large", Header(response, "x-gateway-provider"));
        Assert.Empty(_backup.Requests);
    }

    [Fact]
    public async Task Error_outside_the_conditions_is_answered_at_once_as_the_provider_wrote_it()
    {
        _primary.Enqueue(new Fault.Status(400));

        var (response, body, _) = await ChatAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(OpenAiErrors.ForStatus(400), body);
        Assert.Equal("1", Header(response, "x-gateway-attempts"));
        Assert.Empty(_backup.Requests);
    }

    [Fact]
    public async Task When_every_target_fails_the_client_gets_the_most_informative_error_and_the_attempts()
    {
        await _gateway.RewriteConfigAsync(Config("retry: { attempts: 1 }"));
        _primary.Enqueue(new Fault.Status(429, Headers: new Dictionary<string, string> { ["retry-after"] = "30" }));
        _backup.Enqueue(new Fault.Reset());

        var (response, body, _) = await ChatAsync();

        // The primary's 429 (with its wait) says more than the backup's dropped connection.
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("30", Header(response, "retry-after"));
        Assert.Equal("2", Header(response, "x-gateway-attempts"));
        Assert.EndsWith("(attempts: primary/gpt-4o-mini: rate_limit_exceeded; backup/gpt-4o: upstream_unreachable.)", Message(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deadline_bounds_retries_and_fallbacks_together()
    {
        await _gateway.RewriteConfigAsync(Config("deadline: 1s\n    retry: { attempts: 3, backoff: 10ms }"));
        // A first request pays for JIT compilation outside the deadline's clock; the timing below is about the deadline.
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync()).Response.StatusCode);
        _primary.Enqueue(new Fault.Hang());

        var (response, body, took) = await ChatAsync();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        // The runtime's timers keep milliseconds (TickCount64): one may fire a hair before the client's stopwatch says 1 s.
        Assert.InRange(took, TimeSpan.FromSeconds(0.95), TimeSpan.FromSeconds(1.9));
        Assert.Empty(_backup.Requests);
        Assert.Contains("upstream_timeout", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sdk_sees_one_clean_answer_through_a_failover()
    {
        _primary.Enqueue(new Fault.Status(500));
        _primary.Enqueue(new Fault.Status(500));

        ChatCompletion completion = await _gateway.Sdk().GetChatClient("chat").CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal("Hello from the backup.", completion.Content[0].Text);
    }
}
