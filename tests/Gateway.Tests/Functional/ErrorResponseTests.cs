using FakeProviders.OpenAi;
using Gateway.Tests.Support;

namespace Gateway.Tests.Functional;

/// <summary>Every failure reaches the client as OpenAI's error JSON with the right status, never a stack trace or a hang.</summary>
public sealed class ErrorResponseTests : UpstreamGatewayTest
{
    // The endpoint timeout stays at its 30 s default here: a busy machine's first call through a cold gateway can
    // take over a second, which turned unrelated answers into 504s. The 1 s timeout has its own class below.
    private protected override string MaxBodySize => "64KB";

    private async Task<(int Status, string Message, string Type, string? Code, string? Param, HttpResponseMessage Response)> SendAsync(HttpRequestMessage request)
    {
        var response = await Gateway.Client.SendAsync(request);
        var (message, type, code, param) = await Http.ReadErrorAsync(response);
        return ((int)response.StatusCode, message, type, code, param, response);
    }

    [Fact]
    public async Task Missing_key_is_401_saying_where_to_put_it()
    {
        var error = await SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(401, error.Status);
        Assert.Equal("invalid_api_key", error.Code);
        Assert.Contains("Authorization: Bearer <key>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_key_is_401_and_never_reaches_the_provider()
    {
        var error = await SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat"), "gw-not-a-real-key-000000"));

        Assert.Equal(401, error.Status);
        Assert.Equal("The gateway key provided is not valid.", error.Message);
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task Key_not_allowed_on_the_endpoint_is_403()
    {
        var error = await SendAsync(Http.Post("/v1/embeddings", """{"model":"embed","input":"x"}""", TestConfigs.BobKey));

        Assert.Equal(403, error.Status);
        Assert.Equal("endpoint_not_allowed", error.Code);
        Assert.Equal("Your gateway key may not call the endpoint 'embed'.", error.Message);
    }

    [Fact]
    public async Task Unknown_endpoint_is_404_model_not_found_listing_what_the_caller_may_use()
    {
        var error = await SendAsync(Http.Post("/v1/chat/completions", Http.Chat("gpt-5"), TestConfigs.BobKey));

        Assert.Equal(404, error.Status);
        Assert.Equal("model_not_found", error.Code);
        Assert.Equal("model", error.Param);
        Assert.Equal("The model 'gpt-5' does not exist or you do not have access to it. Endpoints available to you: chat.", error.Message);
    }

    [Fact]
    public async Task Endpoint_called_at_the_wrong_operation_is_400_naming_the_right_path()
    {
        var error = await SendAsync(Http.Post("/v1/chat/completions", Http.Chat("embed"), TestConfigs.AliceKey));

        Assert.Equal(400, error.Status);
        Assert.Equal("'embed' is a embeddings endpoint; call it at /v1/embeddings.", error.Message);
    }

    [Theory]
    [InlineData("""{"model":"chat","messages":[""", "The request body is not valid JSON: Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed. (line 1, byte 29).", null)]
    [InlineData("""[1,2]""", "The request body is not valid JSON: the body must be a JSON object.", null)]
    [InlineData("", "The request body is not valid JSON: the body is empty; send a JSON object.", null)]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "Missing required parameter: 'model'.", "model")]
    [InlineData("""{"model":"chat"}""", "Missing required parameter: 'messages'.", "messages")]
    [InlineData("""{"model":"chat","messages":"hi"}""", "Invalid value for 'messages': expected an array of messages.", "messages")]
    [InlineData("""{"model":"chat","messages":[]}""", "Invalid value for 'messages': the array is empty; send at least one message.", "messages")]
    [InlineData("""{"model":42,"messages":[{"role":"user","content":"hi"}]}""", "Invalid value for 'model': expected the name of an endpoint as a string.", "model")]
    [InlineData("""{"model":"chat","stream":"yes","messages":[{"role":"user","content":"hi"}]}""", "Invalid value for 'stream': expected true or false.", "stream")]
    [InlineData("""{"model":"chat","model":"other","messages":[{"role":"user","content":"hi"}]}""", "Invalid value for 'model': it appears more than once in the body.", "model")]
    public async Task Bad_request_body_is_400_saying_what_is_wrong(string body, string message, string? param)
    {
        var error = await SendAsync(Http.Post("/v1/chat/completions", body, TestConfigs.AliceKey));

        Assert.Equal(400, error.Status);
        Assert.Equal("invalid_request_error", error.Type);
        Assert.Equal(message, error.Message);
        Assert.Equal(param, error.Param);
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task Body_over_the_configured_limit_is_413()
    {
        var huge = Http.Chat("chat", new string('a', 70 * 1024));

        var error = await SendAsync(Http.Post("/v1/chat/completions", huge, TestConfigs.AliceKey));

        Assert.Equal(413, error.Status);
        Assert.Equal("request_too_large", error.Code);
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_is_413_too()
    {
        var request = Http.Post("/v1/chat/completions", Http.Chat("chat", new string('a', 70 * 1024)), TestConfigs.AliceKey);
        request.Headers.TransferEncodingChunked = true;

        var error = await SendAsync(request);

        Assert.Equal(413, error.Status);
    }

    [Fact]
    public async Task UnreachableUpstream_is_502_naming_the_provider()
    {
        await using var gateway = await GatewayHost.StartAsync(TestConfigs.WithUpstream(new Uri("http://127.0.0.1:1/v1"), "sk-unused-key-123456"));

        using var response = await gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat"), TestConfigs.AliceKey));
        var (message, _, code, _) = await Http.ReadErrorAsync(response);

        Assert.Equal(502, (int)response.StatusCode);
        Assert.Equal("upstream_unreachable", code);
        Assert.StartsWith("Provider 'upstream' (model 'gpt-4o-mini') could not be reached: ", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upstream_dropping_the_connection_is_502()
    {
        Upstream.Enqueue(new Fault.Reset());

        var error = await SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat"), TestConfigs.AliceKey));

        Assert.Equal(502, error.Status);
        Assert.Equal("upstream_unreachable", error.Code);
    }

    [Fact]
    public async Task Upstream_429_keeps_its_message_code_and_retry_after_and_names_the_provider()
    {
        Upstream.Enqueue(new Fault.Status(429, Headers: new Dictionary<string, string> { ["retry-after"] = "7", ["x-ratelimit-remaining-requests"] = "0" }));

        var error = await SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat"), TestConfigs.AliceKey));

        Assert.Equal(429, error.Status);
        Assert.Equal("rate_limit_exceeded", error.Code);
        Assert.Equal("Provider 'upstream' (openai_compatible) returned HTTP 429: Rate limit reached for requests. Please try again in 1s.", error.Message);
        Assert.Equal("7", error.Response.Headers.GetValues("retry-after").Single());
        Assert.Equal("0", error.Response.Headers.GetValues("x-ratelimit-remaining-requests").Single());
    }

    [Fact]
    public async Task Upstream_error_that_is_not_openai_shaped_is_wrapped_with_its_status_and_text()
    {
        Upstream.Enqueue(new Fault.Status(503, "<html><body>upstream overloaded</body></html>", "text/html"));

        var error = await SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat"), TestConfigs.AliceKey));

        Assert.Equal(503, error.Status);
        Assert.Equal("upstream_error", error.Code);
        Assert.Equal("Provider 'upstream' returned HTTP 503: <html><body>upstream overloaded</body></html>", error.Message);
    }

    [Fact]
    public async Task Upstream_rejecting_the_gateways_credentials_is_502_and_never_shows_the_provider_key()
    {
        await using var upstream = await FakeOpenAiServer.StartAsync("sk-the-real-key-000000000");
        await using var gateway = await GatewayHost.StartAsync(TestConfigs.WithUpstream(upstream.BaseUrl, "sk-a-stale-key-1111111111"));

        using var response = await gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat"), TestConfigs.AliceKey));
        var raw = await response.Content.ReadAsStringAsync();

        Assert.Equal(502, (int)response.StatusCode);
        Assert.Contains("upstream_auth_failed", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-a", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("1111", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upstream_validation_error_keeps_its_param_and_message_and_names_the_provider()
    {
        var error = await SendAsync(Http.Post("/v1/chat/completions", """{"model":"chat","messages":[{"role":"robot","content":"hi"}]}""", TestConfigs.AliceKey));

        Assert.Equal(400, error.Status);
        Assert.Equal("messages[0].role", error.Param);
        Assert.StartsWith("Provider 'upstream' (openai_compatible) returned HTTP 400: Invalid value: 'robot'.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_url_is_404_and_wrong_method_is_405_in_openai_shape()
    {
        var notFound = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "/v1/assistants"));
        var wrongMethod = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "/v1/chat/completions"));

        Assert.Equal(404, notFound.Status);
        Assert.Equal("unknown_url", notFound.Code);
        Assert.Equal(405, wrongMethod.Status);
        Assert.Equal("GET is not supported for /v1/chat/completions.", wrongMethod.Message);
    }
}

/// <summary>The endpoint timeout on real time: an upstream that never answers is a 504 naming the limit, and the call to it is cut.</summary>
public sealed class EndpointTimeoutTests : UpstreamGatewayTest
{
    private protected override string Timeout => "1s";

    [Fact]
    public async Task Upstream_that_never_answers_is_504_after_the_endpoint_timeout()
    {
        Upstream.Enqueue(new Fault.Hang());

        using var response = await Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat"), TestConfigs.AliceKey));
        var (message, _, code, _) = await Http.ReadErrorAsync(response);
        var error = (Status: (int)response.StatusCode, Code: code, Message: message);

        Assert.Equal(504, error.Status);
        Assert.Equal("upstream_timeout", error.Code);
        Assert.Equal("Provider 'upstream' (model 'gpt-4o-mini') did not respond within 1s (endpoint timeout).", error.Message);
        await Assert.Single(Upstream.Requests).Aborted.WaitAsync(GatewayHost.Bound);
    }
}
