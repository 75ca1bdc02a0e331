using System.ClientModel;
using System.Net;
using System.Text.Json;
using FakeProviders.Anthropic;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using OpenAI.Chat;

namespace Gateway.Tests.Functional;

/// <summary>
/// anthropic: the stock OpenAI SDK chats with the gateway; the gateway speaks the Messages API to the fake
/// Anthropic service and translates every answer, stream and error back into OpenAI's format.
/// </summary>
public sealed class AnthropicProviderTests : IAsyncLifetime
{
    private FakeAnthropicServer _anthropic = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _anthropic = await FakeAnthropicServer.StartAsync();
        _gateway = await GatewayHost.StartAsync(Config());
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _anthropic.DisposeAsync();
    }

    private ChatClient Chat => _gateway.Sdk().GetChatClient("chat");

    private string Config(string endpointSettings = "timeout: 5s") => $$"""
        server: { listen: http://127.0.0.1:8080, auth: none }
        providers:
          claude: { type: anthropic, base_url: "{{_anthropic.BaseUrl}}", api_key: {{_anthropic.ApiKey}} }
        endpoints:
          chat:
            {{endpointSettings}}
            targets: [ { provider: claude, model: claude-sonnet-4-5 } ]
        """;

    private static ChatMessage[] Conversation =>
    [
        new SystemChatMessage("You are terse."),
#pragma warning disable OPENAI001 // developer messages are what newer OpenAI models use for system prompts
        new DeveloperChatMessage("Answer in English."),
#pragma warning restore OPENAI001
        new UserChatMessage("Hello"),
        new AssistantChatMessage("Hi."),
        new UserChatMessage("Greet me again"),
    ];

    [Fact]
    public async Task Chat_is_translated_to_the_messages_api_and_back()
    {
        ChatCompletion completion = await Chat.CompleteChatAsync(Conversation, new ChatCompletionOptions { Temperature = 0.2f, StopSequences = { "never-appears" } });

        Assert.Equal(_anthropic.ReplyText, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);

        var sent = Assert.Single(_anthropic.Requests);
        Assert.Equal(_anthropic.ApiKey, sent.Header("x-api-key"));
        Assert.Equal("2023-06-01", sent.Header("anthropic-version"));
        var body = JsonDocument.Parse(sent.Body).RootElement;
        Assert.Equal("claude-sonnet-4-5", body.GetProperty("model").GetString());
        Assert.Equal("You are terse.\n\nAnswer in English.", body.GetProperty("system").GetString());
        Assert.Equal(4096, body.GetProperty("max_tokens").GetInt32());
        Assert.Equal(["user", "assistant", "user"], body.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(["never-appears"], body.GetProperty("stop_sequences").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task Stream_is_translated_event_by_event_with_the_usage_chunk_last()
    {
        var updates = new List<StreamingChatCompletionUpdate>();
        await foreach (var update in Chat.CompleteChatStreamingAsync(Conversation))
        {
            updates.Add(update);
        }

        Assert.Equal(ChatMessageRole.Assistant, updates[0].Role);
        Assert.Equal(_anthropic.ReplyText, string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text)));
        Assert.Equal(ChatFinishReason.Stop, updates[^2].FinishReason);
        Assert.NotNull(updates[^1].Usage);
        Assert.True(updates[^1].Usage.OutputTokenCount > 0);
        Assert.True(JsonDocument.Parse(Assert.Single(_anthropic.Requests).Body).RootElement.GetProperty("stream").GetBoolean());
    }

    [Fact]
    public async Task Answer_cut_at_max_tokens_finishes_with_length()
    {
        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 3 });

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(3, JsonDocument.Parse(Assert.Single(_anthropic.Requests).Body).RootElement.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public async Task Json_schema_becomes_structured_output_config_and_plain_json_mode_is_refused()
    {
        var schema = """{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}""";

        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("json please")],
            new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("answer", BinaryData.FromString(schema), jsonSchemaIsStrict: true) });
        using var jsonMode = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions",
            """{"model":"chat","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}"""));

        Assert.Equal("fake", JsonDocument.Parse(completion.Content[0].Text).RootElement.GetProperty("answer").GetString());
        Assert.Equal($$$"""{"format":{"type":"json_schema","schema":{{{schema}}}}}""",
            JsonDocument.Parse(Assert.Single(_anthropic.Requests).Body).RootElement.GetProperty("output_config").GetRawText());
        Assert.Equal(HttpStatusCode.BadRequest, jsonMode.StatusCode);
        Assert.StartsWith("'response_format (json_object)' is not supported by provider 'claude' (anthropic)", (await Http.ReadErrorAsync(jsonMode)).Message, StringComparison.Ordinal);
    }

    private static ChatCompletionOptions WeatherTool(ChatToolChoice? choice = null) => new()
    {
        Tools = { ChatTool.CreateFunctionTool("get_weather", "Current weather for a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""")) },
        ToolChoice = choice,
    };

    [Fact]
    public async Task Endpoint_default_max_tokens_applies_when_the_caller_sends_none()
    {
        await _gateway.RewriteConfigAsync(Config(endpointSettings: "default_max_tokens: 5"));

        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(5, JsonDocument.Parse(Assert.Single(_anthropic.Requests).Body).RootElement.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public async Task Tool_call_comes_back_as_openai_tool_calls_with_the_tool_and_choice_sent_as_anthropics()
    {
        _anthropic.ToolUses.Enqueue(("get_weather", """{"city":"Paris"}"""));

        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("Weather in Paris?")], WeatherTool(ChatToolChoice.CreateFunctionChoice("get_weather")));

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.StartsWith("toolu_", call.Id, StringComparison.Ordinal);
        Assert.Equal("Paris", JsonDocument.Parse(call.FunctionArguments).RootElement.GetProperty("city").GetString());
        var body = JsonDocument.Parse(Assert.Single(_anthropic.Requests).Body).RootElement;
        var tool = Assert.Single(body.GetProperty("tools").EnumerateArray());
        Assert.Equal("get_weather", tool.GetProperty("name").GetString());
        Assert.Equal("object", tool.GetProperty("input_schema").GetProperty("type").GetString());
        Assert.Equal("""{"type":"tool","name":"get_weather"}""", body.GetProperty("tool_choice").GetRawText());
    }

    [Fact]
    public async Task Tool_results_round_trip_as_tool_use_and_tool_result_blocks()
    {
        ChatMessage[] conversation =
        [
            new UserChatMessage("Weather in Paris?"),
            new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall("toolu_01A", "get_weather", BinaryData.FromString("""{"city":"Paris"}"""))]),
            new ToolChatMessage("toolu_01A", "18°C and sunny"),
        ];

        ChatCompletion completion = await Chat.CompleteChatAsync(conversation, WeatherTool());

        Assert.Equal(_anthropic.ReplyText, completion.Content[0].Text);
        var messages = JsonDocument.Parse(Assert.Single(_anthropic.Requests).Body).RootElement.GetProperty("messages");
        Assert.Equal("""[{"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{"city":"Paris"}}]""", messages[1].GetProperty("content").GetRawText());
        Assert.Equal("user", messages[2].GetProperty("role").GetString());
        Assert.Equal("""[{"type":"tool_result","tool_use_id":"toolu_01A","content":"18°C and sunny"}]""", messages[2].GetProperty("content").GetRawText());
    }

    [Fact]
    public async Task Images_by_data_url_and_by_http_url_become_anthropic_image_blocks()
    {
        var png = BinaryData.FromBytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        UserChatMessage question = new(
            ChatMessageContentPart.CreateTextPart("What are these?"),
            ChatMessageContentPart.CreateImagePart(png, "image/png"),
            ChatMessageContentPart.CreateImagePart(new Uri("https://example.com/cat.jpg")));

        ChatCompletion completion = await Chat.CompleteChatAsync([question]);

        Assert.Equal(_anthropic.ReplyText, completion.Content[0].Text);
        var content = JsonDocument.Parse(Assert.Single(_anthropic.Requests).Body).RootElement.GetProperty("messages")[0].GetProperty("content");
        Assert.Equal("""{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}""", content[1].GetRawText());
        Assert.Equal("""{"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}""", content[2].GetRawText());
    }

    [Theory]
    [InlineData("data:image/bmp;base64,Qk0=", "auto", "'image/bmp' images are not accepted")]
    [InlineData("https://example.com/cat.jpg", "high", "'messages[0].content[0].image_url.detail' is not supported by provider 'claude' (anthropic)")]
    public async Task Images_anthropic_cannot_take_are_refused_before_the_call(string url, string detail, string message)
    {
        var body = $$$"""{"model":"chat","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"{{{url}}}","detail":"{{{detail}}}"}}]}]}""";

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, (await Http.ReadErrorAsync(response)).Message, StringComparison.Ordinal);
        Assert.Empty(_anthropic.Requests);
    }

    [Fact]
    public async Task Rate_limit_keeps_429_retry_after_and_anthropics_message()
    {
        _anthropic.Enqueue(new Fault.Status(429, Headers: new Dictionary<string, string> { ["retry-after"] = "12" }));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("12", response.Headers.GetValues("retry-after").Single());
        var (message, type, code, _) = await Http.ReadErrorAsync(response);
        Assert.Equal(("rate_limit_error", "rate_limit_exceeded"), (type, code));
        Assert.StartsWith("Provider 'claude' (anthropic) returned HTTP 429: This request would exceed the rate limit", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(500, 500, "api_error")]
    [InlineData(529, 503, "overloaded_error")]
    [InlineData(400, 400, "invalid_request_error")]
    public async Task Provider_errors_keep_their_status_and_name_the_provider(int status, int expectedStatus, string code)
    {
        _anthropic.Enqueue(new Fault.Status(status));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        var (message, _, errorCode, _) = await Http.ReadErrorAsync(response);
        Assert.Equal(code, errorCode);
        Assert.StartsWith($"Provider 'claude' (anthropic) returned HTTP {status}:", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Provider_message_that_quotes_the_key_is_redacted()
    {
        _anthropic.Enqueue(new Fault.Status(400, AnthropicErrors.Body("invalid_request_error", $"bad request from key {_anthropic.ApiKey}")));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        var (message, _, _, _) = await Http.ReadErrorAsync(response);
        Assert.EndsWith("bad request from key [redacted]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejected_key_is_a_502_that_never_shows_the_key()
    {
        _anthropic.Enqueue(new Fault.Status(401));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var (message, _, code, _) = await Http.ReadErrorAsync(response);
        Assert.Equal("upstream_auth_failed", code);
        Assert.DoesNotContain(_anthropic.ApiKey, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ends early", "upstream_stream_interrupted")]
    [InlineData("malformed event", "upstream_protocol_error")]
    [InlineData("overloaded mid-answer", "overloaded_error")]
    public async Task Broken_stream_ends_with_an_error_event_not_a_clean_finish(string breakage, string code)
    {
        _anthropic.Enqueue(breakage switch
        {
            "ends early" => new Fault.TruncatedStreamAfter(5),
            "malformed event" => new Fault.MalformedChunk(4),
            _ => new Fault.StreamErrorAfter(4),
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
