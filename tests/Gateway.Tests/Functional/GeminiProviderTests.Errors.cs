using System.Net;
using FakeProviders.Gemini;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;

namespace Gateway.Tests.Functional;

public sealed partial class GeminiProviderTests
{
    [Theory]
    [InlineData("""{"logprobs":true}""", "logprobs")]
    [InlineData("""{"n":2}""", "n")]
    [InlineData("""{"parallel_tool_calls":false,"tools":[{"type":"function","function":{"name":"f"}}]}""", "parallel_tool_calls (false)")]
    public async Task Parameter_gemini_cannot_honour_is_a_400_naming_it(string extra, string field)
    {
        var body = """{"model":"chat","messages":[{"role":"user","content":"hi"}],""" + extra[1..];

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var (message, _, code, _) = await Http.ReadErrorAsync(response);
        Assert.Equal("unsupported_parameter", code);
        Assert.StartsWith($"'{field}' is not supported by provider 'google' (gemini)", message, StringComparison.Ordinal);
        Assert.Empty(_gemini.Requests);
    }

    [Fact]
    public async Task Endpoint_that_drops_unsupported_params_sends_the_rest()
    {
        await _gateway.RewriteConfigAsync(Config(endpointSettings: "drop_unsupported_params: true"));
        var body = """{"model":"chat","messages":[{"role":"user","content":"hi"}],"logprobs":true,"logit_bias":{"42":5},"seed":3}""";

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"seed":3}""", SentBody().GetProperty("generationConfig").GetRawText());
    }

    [Fact]
    public async Task Rate_limit_becomes_429_with_retry_after_from_geminis_retry_info()
    {
        _gemini.Enqueue(new Fault.Status(429, GeminiErrors.ResourceExhausted("26.5s")));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("27", response.Headers.GetValues("retry-after").Single());
        var (message, type, code, _) = await Http.ReadErrorAsync(response);
        Assert.Equal(("rate_limit_error", "rate_limit_exceeded"), (type, code));
        Assert.StartsWith("Provider 'google' (gemini) returned HTTP 429: You exceeded your current quota", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(500, "internal")]
    [InlineData(503, "unavailable")]
    [InlineData(400, "invalid_argument")]
    public async Task Provider_errors_keep_their_status_and_name_the_provider(int status, string code)
    {
        _gemini.Enqueue(new Fault.Status(status));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(status, (int)response.StatusCode);
        var (message, _, errorCode, _) = await Http.ReadErrorAsync(response);
        Assert.Equal(code, errorCode);
        Assert.StartsWith($"Provider 'google' (gemini) returned HTTP {status}:", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gemini_refusing_its_own_request_check_reaches_the_client_as_a_400()
    {
        await _gateway.RewriteConfigAsync(Config(model: "gemini-unknown"));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("models/gemini-unknown is not found", (await Http.ReadErrorAsync(response)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_key_is_a_502_although_gemini_says_400()
    {
        await using var other = await FakeGeminiServer.StartAsync(apiKey: "AIzaSyAnotherKeyTheGatewayDoesNotHave00");
        await _gateway.RewriteConfigAsync(Config().Replace(_gemini.BaseUrl.ToString(), other.BaseUrl.ToString(), StringComparison.Ordinal));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var (message, _, code, _) = await Http.ReadErrorAsync(response);
        Assert.Equal("upstream_auth_failed", code);
        Assert.DoesNotContain(_gemini.ApiKey, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ends early", "upstream_stream_interrupted")]
    [InlineData("malformed event", "upstream_protocol_error")]
    [InlineData("error mid-answer", "unavailable")]
    [InlineData("silent mid-stream", "upstream_timeout")]
    public async Task Broken_stream_ends_with_an_error_event_not_a_clean_finish(string breakage, string code)
    {
        if (breakage == "silent mid-stream")
        {
            // Only the silence between chunks is short: a slow start on a loaded machine must not fail the attempt first.
            await _gateway.RewriteConfigAsync(Config(endpointSettings: "timeouts: { first_byte: 30s, idle: 500ms }"));
        }

        _gemini.Enqueue(breakage switch
        {
            "ends early" => new Fault.TruncatedStreamAfter(2),
            "malformed event" => new Fault.MalformedChunk(1),
            "silent mid-stream" => new Fault.StreamGate(new TaskCompletionSource()), // never opened
            _ => new Fault.StreamErrorAfter(2),
        });

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat", stream: true)));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"delta\":{\"role\":\"assistant\"", body, StringComparison.Ordinal);
        Assert.Contains($"\"code\":\"{code}\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePositionInLine", body, StringComparison.Ordinal); // the client is told what broke, not the parser's words
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
    }
}
