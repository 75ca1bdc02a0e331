using System.ClientModel;
using System.Net;
using System.Text.Json;
using FakeProviders.Gemini;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace Gateway.Tests.Functional;

/// <summary>
/// gemini: the stock OpenAI SDK talks to the gateway; the gateway speaks generateContent,
/// streamGenerateContent and batchEmbedContents to the fake Gemini API and translates every answer,
/// stream and error back into OpenAI's format.
/// </summary>
public sealed class GeminiProviderTests : IAsyncLifetime
{
    private FakeGeminiServer _gemini = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _gemini = await FakeGeminiServer.StartAsync();
        _gateway = await GatewayHost.StartAsync(Config());
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _gemini.DisposeAsync();
    }

    private ChatClient Chat => _gateway.Sdk().GetChatClient("chat");

    private string Config(string endpointSettings = "timeout: 5s", string model = "gemini-2.5-flash") => $$"""
        server: { listen: http://127.0.0.1:8080, auth: none }
        providers:
          google: { type: gemini, base_url: "{{_gemini.BaseUrl}}", api_key: {{_gemini.ApiKey}} }
        endpoints:
          chat:
            {{endpointSettings}}
            targets: [ { provider: google, model: {{model}} } ]
          embed:
            type: embeddings
            targets: [ { provider: google, model: gemini-embedding-001 } ]
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

    private JsonElement SentBody() => JsonDocument.Parse(Assert.Single(_gemini.Requests).Body).RootElement;

    [Fact]
    public async Task Chat_is_translated_to_generate_content_and_back()
    {
#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK; the wire field is stable
        ChatCompletion completion = await Chat.CompleteChatAsync(Conversation, new ChatCompletionOptions
        {
            Temperature = 0.2f, TopP = 0.9f, MaxOutputTokenCount = 100, StopSequences = { "never-appears" }, Seed = 7, PresencePenalty = 0.5f,
        });
#pragma warning restore OPENAI001

        Assert.Equal(_gemini.ReplyText, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal("gemini-2.5-flash", completion.Model);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);

        var sent = Assert.Single(_gemini.Requests);
        Assert.Equal("/v1/models/gemini-2.5-flash:generateContent", sent.Path);
        Assert.Equal(_gemini.ApiKey, sent.Header("x-goog-api-key"));
        Assert.Null(sent.Header("authorization"));
        var body = SentBody();
        Assert.Equal("""{"parts":[{"text":"You are terse."},{"text":"Answer in English."}]}""", body.GetProperty("systemInstruction").GetRawText());
        Assert.Equal(["user", "model", "user"], body.GetProperty("contents").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("""{"temperature":0.2,"topP":0.9,"maxOutputTokens":100,"stopSequences":["never-appears"],"seed":7,"presencePenalty":0.5}""",
            body.GetProperty("generationConfig").GetRawText());
    }

    [Fact]
    public async Task Api_version_picks_the_path_for_preview_features()
    {
        await _gateway.RewriteConfigAsync(Config().Replace("type: gemini,", "type: gemini, api_version: v1beta,", StringComparison.Ordinal));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/v1beta/models/gemini-2.5-flash:generateContent", Assert.Single(_gemini.Requests).Path);
    }

    [Fact]
    public async Task Stream_is_translated_event_by_event_with_reasoning_in_the_usage_chunk()
    {
        _gemini.ThoughtsTokens = 40;
        var updates = new List<StreamingChatCompletionUpdate>();
        await foreach (var update in Chat.CompleteChatStreamingAsync(Conversation))
        {
            updates.Add(update);
        }

        Assert.Equal(ChatMessageRole.Assistant, updates[0].Role);
        Assert.Equal(_gemini.ReplyText, string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text)));
        Assert.True(updates.Count(u => u.ContentUpdate.Count > 0) > 1, "the text arrives in several chunks, as Gemini sent it");
        Assert.Equal(ChatFinishReason.Stop, updates[^2].FinishReason);
        var usage = updates[^1].Usage;
        Assert.NotNull(usage);
        Assert.Equal(40, usage.OutputTokenDetails.ReasoningTokenCount);
        Assert.True(usage.OutputTokenCount > 40, "reasoning counts inside completion tokens, as OpenAI counts it");
        var sent = Assert.Single(_gemini.Requests);
        Assert.Equal("/v1/models/gemini-2.5-flash:streamGenerateContent", sent.Path);
        Assert.Equal("?alt=sse", sent.Query);
    }

    [Fact]
    public async Task Answer_cut_at_max_tokens_finishes_with_length()
    {
        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 3 });

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(3, SentBody().GetProperty("generationConfig").GetProperty("maxOutputTokens").GetInt32());
    }

    [Fact]
    public async Task Safety_stop_finishes_with_content_filter()
    {
        _gemini.FinishReasons.Enqueue("SAFETY");

        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal(ChatFinishReason.ContentFilter, completion.FinishReason);
    }

    [Fact]
    public async Task Json_mode_and_json_schema_become_a_response_mime_type_and_schema()
    {
        ChatCompletion jsonMode = await Chat.CompleteChatAsync([new UserChatMessage("json please")],
            new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() });
        var schema = """{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}""";
        ChatCompletion withSchema = await Chat.CompleteChatAsync([new UserChatMessage("json please")],
            new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("answer", BinaryData.FromString(schema), jsonSchemaIsStrict: true) });

        Assert.Equal("fake", JsonDocument.Parse(jsonMode.Content[0].Text).RootElement.GetProperty("answer").GetString());
        Assert.Equal("fake", JsonDocument.Parse(withSchema.Content[0].Text).RootElement.GetProperty("answer").GetString());
        var configs = _gemini.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("generationConfig")).ToList();
        Assert.Equal("""{"responseMimeType":"application/json"}""", configs[0].GetRawText());
        Assert.Equal($$"""{"responseMimeType":"application/json","responseJsonSchema":{{schema}}}""", configs[1].GetRawText());
    }

    private static ChatCompletionOptions WeatherTool(ChatToolChoice? choice = null) => new()
    {
        Tools = { ChatTool.CreateFunctionTool("get_weather", "Current weather for a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""")) },
        ToolChoice = choice,
    };

    [Fact]
    public async Task Tool_call_comes_back_as_openai_tool_calls_with_the_declaration_and_choice_sent_as_geminis()
    {
        _gemini.FunctionCalls.Enqueue(("get_weather", """{"city":"Paris"}"""));

        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("Weather in Paris?")], WeatherTool(ChatToolChoice.CreateFunctionChoice("get_weather")));

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.StartsWith("call_", call.Id, StringComparison.Ordinal);
        Assert.Equal("""{"city":"Paris"}""", call.FunctionArguments.ToString());
        var body = SentBody();
        Assert.Equal("""[{"functionDeclarations":[{"name":"get_weather","description":"Current weather for a city","parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}]""",
            body.GetProperty("tools").GetRawText());
        Assert.Equal("""{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}}""", body.GetProperty("toolConfig").GetRawText());
    }

    [Theory]
    [InlineData("auto", "AUTO")]
    [InlineData("none", "NONE")]
    [InlineData("required", "ANY")]
    public async Task Tool_choice_modes_map_to_function_calling_modes(string choice, string mode)
    {
        var body = $$$"""{"model":"chat","messages":[{"role":"user","content":"hi"}],"tool_choice":"{{{choice}}}","tools":[{"type":"function","function":{"name":"f"}}]}""";

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mode, SentBody().GetProperty("toolConfig").GetProperty("functionCallingConfig").GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Tool_results_round_trip_as_function_call_and_named_function_response()
    {
        ChatMessage[] conversation =
        [
            new UserChatMessage("Weather in Paris?"),
            new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall("call_A", "get_weather", BinaryData.FromString("""{"city":"Paris"}"""))]),
            new ToolChatMessage("call_A", "18°C and sunny"),
        ];

        ChatCompletion completion = await Chat.CompleteChatAsync(conversation, WeatherTool());

        Assert.Equal(_gemini.ReplyText, completion.Content[0].Text);
        var contents = SentBody().GetProperty("contents");
        Assert.Equal("""{"role":"model","parts":[{"functionCall":{"id":"call_A","name":"get_weather","args":{"city":"Paris"}}}]}""", contents[1].GetRawText());
        Assert.Equal("""{"role":"user","parts":[{"functionResponse":{"id":"call_A","name":"get_weather","response":{"result":"18°C and sunny"}}}]}""", contents[2].GetRawText());
    }

    [Fact]
    public async Task Thought_signatures_survive_the_round_trip_through_a_stock_client()
    {
        // Gemini 3 refuses a function call sent back without the signature it came with; OpenAI clients keep only the id.
        _gemini.SignFunctionCalls = true;
        _gemini.FunctionCalls.Enqueue(("get_weather", """{"city":"Paris"}"""));
        List<ChatMessage> conversation = [new UserChatMessage("Weather in Paris?")];
        ChatCompletion first = await Chat.CompleteChatAsync(conversation, WeatherTool());
        var call = Assert.Single(first.ToolCalls);
        conversation.Add(new AssistantChatMessage(first));
        conversation.Add(new ToolChatMessage(call.Id, """{"temperature_c":18}"""));

        ChatCompletion second = await Chat.CompleteChatAsync(conversation, WeatherTool());

        Assert.Equal(_gemini.ReplyText, second.Content[0].Text);
        var parts = JsonDocument.Parse(_gemini.Requests.Last().Body).RootElement.GetProperty("contents");
        Assert.True(parts[1].GetProperty("parts")[0].TryGetProperty("thoughtSignature", out _));
        Assert.Equal("""{"temperature_c":18}""", parts[2].GetProperty("parts")[0].GetProperty("functionResponse").GetProperty("response").GetRawText());
    }

    [Fact]
    public async Task Tool_result_for_an_unknown_call_is_a_400_before_the_call()
    {
        var body = """{"model":"chat","messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"call_missing","content":"x"}]}""";

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("tool_call_id 'call_missing' answers no tool call", (await Http.ReadErrorAsync(response)).Message, StringComparison.Ordinal);
        Assert.Empty(_gemini.Requests);
    }

    [Fact]
    public async Task Images_by_data_url_and_by_http_url_become_inline_data_and_file_data()
    {
        var png = BinaryData.FromBytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        UserChatMessage question = new(
            ChatMessageContentPart.CreateTextPart("What are these?"),
            ChatMessageContentPart.CreateImagePart(png, "image/png"),
            ChatMessageContentPart.CreateImagePart(new Uri("https://example.com/cat.jpg")));

        ChatCompletion completion = await Chat.CompleteChatAsync([question]);

        Assert.Equal(_gemini.ReplyText, completion.Content[0].Text);
        var parts = SentBody().GetProperty("contents")[0].GetProperty("parts");
        Assert.Equal("""{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}""", parts[1].GetRawText());
        Assert.Equal("""{"fileData":{"mimeType":"image/jpeg","fileUri":"https://example.com/cat.jpg"}}""", parts[2].GetRawText());
    }

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
    [InlineData("malformed event", "upstream_stream_interrupted")]
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
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Embeddings_go_through_batch_embed_contents_and_come_back_as_openais_list()
    {
        var client = _gateway.Sdk().GetEmbeddingClient("embed");

        // The SDK asks for base64 by default; the gateway encodes Gemini's floats as OpenAI does.
        OpenAIEmbeddingCollection embeddings = await client.GenerateEmbeddingsAsync(["first text", "second text"], new EmbeddingGenerationOptions { Dimensions = 8 });

        Assert.Equal(2, embeddings.Count);
        var expected = FakeGeminiServer.Vector("gemini-embedding-001", "second text", 8).Select(v => v!.GetValue<float>()).ToArray();
        Assert.Equal(expected, embeddings[1].ToFloats().ToArray());
        var sent = Assert.Single(_gemini.Requests);
        Assert.Equal("/v1/models/gemini-embedding-001:batchEmbedContents", sent.Path);
        var requests = JsonDocument.Parse(sent.Body).RootElement.GetProperty("requests");
        Assert.Equal("""{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"first text"}]},"outputDimensionality":8}""", requests[0].GetRawText());
    }

    [Fact]
    public async Task Embeddings_as_floats_for_a_single_string()
    {
        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/embeddings", """{"model":"embed","input":"hello","encoding_format":"float"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("data");
        Assert.Equal(FakeGeminiServer.EmbeddingDimensions, Assert.Single(data.EnumerateArray()).GetProperty("embedding").GetArrayLength());
    }

    [Fact]
    public async Task Token_id_embedding_input_is_refused_because_gemini_reads_text()
    {
        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/embeddings", """{"model":"embed","input":[[1,2,3]]}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("'input (token ids)' is not supported by provider 'google' (gemini)", (await Http.ReadErrorAsync(response)).Message, StringComparison.Ordinal);
    }
}
