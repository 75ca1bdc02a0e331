using System.Net;
using System.Text.Json;
using FakeProviders.Bedrock;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using OpenAI.Chat;

namespace Gateway.Tests.Functional;

/// <summary>
/// bedrock: the stock OpenAI SDK talks to the gateway; the gateway signs Converse and ConverseStream calls
/// with AWS Signature V4 (or a Bedrock API key) to the fake Bedrock and translates every answer, event stream
/// and error back into OpenAI's format.
/// </summary>
public sealed class BedrockProviderTests : IAsyncLifetime
{
    private const string Model = "anthropic.claude-3-5-sonnet-20240620-v1:0";
    private FakeBedrockServer _bedrock = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _bedrock = await FakeBedrockServer.StartAsync();
        _gateway = await GatewayHost.StartAsync(Config());
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _bedrock.DisposeAsync();
    }

    private ChatClient Chat => _gateway.Sdk().GetChatClient("chat");

    private string Config(string endpointSettings = "timeout: 5s", string? credentials = null, string model = Model) => $$"""
        server: { listen: http://127.0.0.1:8080, auth: none }
        providers:
          aws:
            type: bedrock
            region: {{FakeBedrockServer.Region}}
            base_url: "{{_bedrock.BaseUrl}}"
            {{credentials ?? $"aws_access_key_id: {FakeBedrockServer.AccessKeyId}\n    aws_secret_access_key: {FakeBedrockServer.SecretAccessKey}"}}
        endpoints:
          chat:
            {{endpointSettings}}
            targets: [ { provider: aws, model: "{{model}}" } ]
        """;

    private static ChatMessage[] Conversation =>
    [
        new SystemChatMessage("You are terse."),
        new UserChatMessage("Hello"),
        new AssistantChatMessage("Hi."),
        new UserChatMessage("Greet me again"),
    ];

    private JsonElement SentBody() => JsonDocument.Parse(Assert.Single(_bedrock.Requests).Body).RootElement;

    [Fact]
    public async Task Chat_is_signed_translated_to_converse_and_back()
    {
        _bedrock.CacheReadTokens = 30;

        ChatCompletion completion = await Chat.CompleteChatAsync(Conversation, new ChatCompletionOptions { Temperature = 0.2f, TopP = 0.9f, MaxOutputTokenCount = 100, StopSequences = { "never-appears" } });

        Assert.Equal(_bedrock.ReplyText, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(30, completion.Usage.InputTokenDetails.CachedTokenCount);
        Assert.True(completion.Usage.InputTokenCount > 30, "cache reads count as prompt tokens, as OpenAI counts them");
        var sent = Assert.Single(_bedrock.Requests);
        Assert.Equal($"/model/{Model}/converse", sent.Path);
        Assert.StartsWith($"AWS4-HMAC-SHA256 Credential={FakeBedrockServer.AccessKeyId}/", sent.Header("authorization"), StringComparison.Ordinal);
        var body = SentBody();
        Assert.Equal("""[{"text":"You are terse."}]""", body.GetProperty("system").GetRawText());
        Assert.Equal(["user", "assistant", "user"], body.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("""{"maxTokens":100,"temperature":0.2,"topP":0.9,"stopSequences":["never-appears"]}""", body.GetProperty("inferenceConfig").GetRawText());
    }

    [Fact]
    public async Task Bedrock_api_key_is_sent_as_a_bearer_token_instead_of_a_signature()
    {
        await _gateway.RewriteConfigAsync(Config(credentials: $"api_key: \"{_bedrock.ApiKey}\""));

        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal(_bedrock.ReplyText, completion.Content[0].Text);
        Assert.Equal($"Bearer {_bedrock.ApiKey}", Assert.Single(_bedrock.Requests).Header("authorization"));
    }

    [Fact]
    public async Task Stream_is_translated_from_the_event_stream_with_the_usage_chunk_last()
    {
        var updates = new List<StreamingChatCompletionUpdate>();
        await foreach (var update in Chat.CompleteChatStreamingAsync(Conversation))
        {
            updates.Add(update);
        }

        Assert.Equal(ChatMessageRole.Assistant, updates[0].Role);
        Assert.Equal(_bedrock.ReplyText, string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text)));
        Assert.Equal(ChatFinishReason.Stop, updates[^2].FinishReason);
        Assert.True(updates[^1].Usage.OutputTokenCount > 0);
        Assert.Equal($"/model/{Model}/converse-stream", Assert.Single(_bedrock.Requests).Path);
    }

    [Fact]
    public async Task Answer_cut_at_max_tokens_finishes_with_length_and_a_guardrail_with_content_filter()
    {
        ChatCompletion cut = await Chat.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 3 });
        _bedrock.StopReasons.Enqueue("guardrail_intervened");
        ChatCompletion filtered = await Chat.CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal(ChatFinishReason.Length, cut.FinishReason);
        Assert.Equal(ChatFinishReason.ContentFilter, filtered.FinishReason);
    }

    private static ChatCompletionOptions WeatherTool(ChatToolChoice? choice = null) => new()
    {
        Tools = { ChatTool.CreateFunctionTool("get_weather", "Current weather for a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""")) },
        ToolChoice = choice,
    };

    [Fact]
    public async Task Tool_call_comes_back_as_openai_tool_calls_with_the_tool_config_sent_as_converses()
    {
        _bedrock.ToolUses.Enqueue(("get_weather", """{"city":"Paris"}"""));

        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("Weather in Paris?")], WeatherTool(ChatToolChoice.CreateFunctionChoice("get_weather")));

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.StartsWith("tooluse_", call.Id, StringComparison.Ordinal);
        Assert.Equal("""{"city":"Paris"}""", call.FunctionArguments.ToString());
        Assert.Equal("""{"tools":[{"toolSpec":{"name":"get_weather","description":"Current weather for a city","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}}],"toolChoice":{"tool":{"name":"get_weather"}}}""",
            SentBody().GetProperty("toolConfig").GetRawText());
    }

    [Fact]
    public async Task Tool_results_round_trip_as_tool_use_and_tool_result_blocks()
    {
        ChatMessage[] conversation =
        [
            new UserChatMessage("Weather in Paris?"),
            new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall("call_A", "get_weather", BinaryData.FromString("""{"city":"Paris"}"""))]),
            new ToolChatMessage("call_A", "18°C and sunny"),
        ];

        ChatCompletion completion = await Chat.CompleteChatAsync(conversation, WeatherTool());

        Assert.Equal(_bedrock.ReplyText, completion.Content[0].Text);
        var messages = SentBody().GetProperty("messages");
        Assert.Equal("""[{"toolUse":{"toolUseId":"call_A","name":"get_weather","input":{"city":"Paris"}}}]""", messages[1].GetProperty("content").GetRawText());
        Assert.Equal("""[{"toolResult":{"toolUseId":"call_A","content":[{"text":"18°C and sunny"}]}}]""", messages[2].GetProperty("content").GetRawText());
    }

    [Fact]
    public async Task Data_url_images_become_image_bytes_and_http_urls_are_refused()
    {
        var png = BinaryData.FromBytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage(ChatMessageContentPart.CreateTextPart("What is this?"), ChatMessageContentPart.CreateImagePart(png, "image/png"))]);
        using var byUrl = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions",
            """{"model":"chat","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}]}"""));

        Assert.Equal(_bedrock.ReplyText, completion.Content[0].Text);
        Assert.Equal("""{"image":{"format":"png","source":{"bytes":"iVBORw0KGgo="}}}""", SentBody().GetProperty("messages")[0].GetProperty("content")[1].GetRawText());
        Assert.Equal(HttpStatusCode.BadRequest, byUrl.StatusCode);
        Assert.Contains("http URLs; send the image as a base64 data: URL", (await Http.ReadErrorAsync(byUrl)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"seed":1}""", "seed")]
    [InlineData("""{"response_format":{"type":"json_object"}}""", "response_format (json_object)")]
    [InlineData("""{"parallel_tool_calls":false,"tools":[{"type":"function","function":{"name":"f"}}]}""", "parallel_tool_calls (false)")]
    public async Task Parameter_bedrock_cannot_honour_is_a_400_naming_it(string extra, string field)
    {
        var body = """{"model":"chat","messages":[{"role":"user","content":"hi"}],""" + extra[1..];

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith($"'{field}' is not supported by provider 'aws' (bedrock)", (await Http.ReadErrorAsync(response)).Message, StringComparison.Ordinal);
        Assert.Empty(_bedrock.Requests);
    }

    [Fact]
    public async Task Throttling_becomes_a_429_rate_limit_error_naming_the_provider()
    {
        _bedrock.Enqueue(new Fault.Status(429));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var (message, type, code, _) = await Http.ReadErrorAsync(response);
        Assert.Equal(("rate_limit_error", "rate_limit_exceeded"), (type, code));
        Assert.Equal("Provider 'aws' (bedrock) returned HTTP 429: Too many requests, please wait before trying again.", message);
    }

    [Theory]
    [InlineData(500, "internal_server_exception")]
    [InlineData(503, "service_unavailable_exception")]
    [InlineData(424, "model_error_exception")]
    public async Task Provider_errors_keep_their_status_and_aws_error_type(int status, string code)
    {
        _bedrock.Enqueue(new Fault.Status(status));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(status, (int)response.StatusCode);
        var (message, _, errorCode, _) = await Http.ReadErrorAsync(response);
        Assert.Equal(code, errorCode);
        Assert.StartsWith($"Provider 'aws' (bedrock) returned HTTP {status}:", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bedrocks_own_validation_error_reaches_the_client_as_a_400()
    {
        await _gateway.RewriteConfigAsync(Config(model: "no.such-model-v1:0"));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var (message, _, code, _) = await Http.ReadErrorAsync(response);
        Assert.Equal(("validation_exception", "Provider 'aws' (bedrock) returned HTTP 400: The provided model identifier is invalid."), (code, message));
    }

    [Fact]
    public async Task Wrong_secret_is_a_502_that_never_shows_a_credential()
    {
        await _gateway.RewriteConfigAsync(Config(credentials: $"aws_access_key_id: {FakeBedrockServer.AccessKeyId}\n    aws_secret_access_key: wrong-secret-0123456789"));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var (message, _, code, _) = await Http.ReadErrorAsync(response);
        Assert.Equal("upstream_auth_failed", code);
        Assert.DoesNotContain("wrong-secret", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ends early", "upstream_stream_interrupted")]
    [InlineData("damaged message", "upstream_stream_interrupted")]
    [InlineData("throttled mid-answer", "rate_limit_exceeded")]
    public async Task Broken_stream_ends_with_an_error_event_not_a_clean_finish(string breakage, string code)
    {
        _bedrock.Enqueue(breakage switch
        {
            "ends early" => new Fault.TruncatedStreamAfter(5),
            "damaged message" => new Fault.MalformedChunk(4),
            _ => new Fault.StreamErrorAfter(4, "throttlingException", "Too many tokens, please wait before trying again."),
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
