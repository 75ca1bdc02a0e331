using System.Net;
using System.Text.Json;
using FakeProviders.Anthropic;
using FakeProviders.Bedrock;
using FakeProviders.Gemini;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using OpenAI.Chat;

namespace Gateway.Tests.Functional;

/// <summary>
/// The provider matrix: every provider type, reached through one gateway by the stock OpenAI SDK, for every
/// case an agent relies on: chat with a system prompt and turns, images, one and parallel tool calls (whole
/// and streamed), a tool result round trip, JSON output, a stream with usage, and each error class. Each row
/// is a fake that speaks that provider's real wire format; the same test body runs against all of them.
/// </summary>
public sealed class ProviderMatrixTests(ProviderMatrixTests.Upstreams upstreams) : IClassFixture<ProviderMatrixTests.Upstreams>
{
    public static TheoryData<string> Providers() => ["openai", "azure", "groq", "anthropic", "gemini", "bedrock"];

    private ChatClient Chat(string provider) => upstreams.Gateway.Sdk().GetChatClient(provider);

    private static readonly ChatCompletionOptions WeatherTool = new()
    {
        Tools = { ChatTool.CreateFunctionTool("get_weather", "Current weather for a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""")) },
    };

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Chat_with_a_system_prompt_and_several_turns_answers(string provider)
    {
        ChatCompletion completion = await Chat(provider).CompleteChatAsync(
            [new SystemChatMessage("You are terse."), new UserChatMessage("Hello"), new AssistantChatMessage("Hi."), new UserChatMessage("Again")],
            new ChatCompletionOptions { Temperature = 0.2f, MaxOutputTokenCount = 200 });

        Assert.Equal(upstreams[provider].ReplyText, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.True(completion.Usage.InputTokenCount > 0 && completion.Usage.OutputTokenCount > 0);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Image_input_is_accepted(string provider)
    {
        var png = BinaryData.FromBytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);

        ChatCompletion completion = await Chat(provider).CompleteChatAsync(
            [new UserChatMessage(ChatMessageContentPart.CreateTextPart("What is this?"), ChatMessageContentPart.CreateImagePart(png, "image/png"))]);

        Assert.Equal(upstreams[provider].ReplyText, completion.Content[0].Text);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Single_tool_call_comes_back_whole(string provider)
    {
        upstreams[provider].QueueToolCall("get_weather", """{"city":"Paris"}""");

        ChatCompletion completion = await Chat(provider).CompleteChatAsync([new UserChatMessage("Weather in Paris?")], WeatherTool);

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal(("get_weather", "Paris"), (call.FunctionName, JsonDocument.Parse(call.FunctionArguments).RootElement.GetProperty("city").GetString()));
        Assert.False(string.IsNullOrEmpty(call.Id));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Parallel_tool_calls_stream_with_stable_indexes_ids_and_arguments(string provider)
    {
        upstreams[provider].QueueToolCall("get_weather", """{"city":"Paris"}""");
        upstreams[provider].QueueToolCall("get_weather", """{"city":"Rome"}""");
        var arguments = new Dictionary<int, string>();
        var ids = new Dictionary<int, string>();
        ChatFinishReason? finish = null;

        await foreach (var update in Chat(provider).CompleteChatStreamingAsync([new UserChatMessage("Weather in Paris and Rome?")], WeatherTool))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                if (call.ToolCallId is { } id)
                {
                    ids[call.Index] = id;
                }

                arguments[call.Index] = arguments.GetValueOrDefault(call.Index) + call.FunctionArgumentsUpdate;
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal([0, 1], ids.Keys.Order());
        Assert.NotEqual(ids[0], ids[1]);
        Assert.Equal(["Paris", "Rome"], arguments.OrderBy(a => a.Key).Select(a => JsonDocument.Parse(a.Value).RootElement.GetProperty("city").GetString()));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Tool_result_round_trip_gets_the_models_answer(string provider)
    {
        upstreams[provider].QueueToolCall("get_weather", """{"city":"Paris"}""");
        List<ChatMessage> conversation = [new UserChatMessage("Weather in Paris?")];
        ChatCompletion call = await Chat(provider).CompleteChatAsync(conversation, WeatherTool);
        conversation.Add(new AssistantChatMessage(call));
        conversation.Add(new ToolChatMessage(call.ToolCalls[0].Id, "18°C and sunny"));

        ChatCompletion answer = await Chat(provider).CompleteChatAsync(conversation, WeatherTool);

        Assert.Equal(upstreams[provider].ReplyText, answer.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, answer.FinishReason);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Json_output_comes_back_as_json_where_the_provider_has_it_and_is_a_clear_400_where_not(string provider)
    {
        var schema = BinaryData.FromString("""{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}""");
        var options = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("answer", schema, jsonSchemaIsStrict: true) };

        if (provider == "bedrock")
        {
            var refused = await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => Chat(provider).CompleteChatAsync([new UserChatMessage("In JSON, please.")], options));
            Assert.Equal(400, refused.Status);
            Assert.Contains("'response_format (json_schema)' is not supported by provider 'bedrock' (bedrock)", refused.Message, StringComparison.Ordinal);
            return;
        }

        ChatCompletion completion = await Chat(provider).CompleteChatAsync([new UserChatMessage("In JSON, please.")], options);

        Assert.Equal("fake", JsonDocument.Parse(completion.Content[0].Text).RootElement.GetProperty("answer").GetString());
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Stream_with_usage_ends_with_a_finish_then_a_usage_chunk(string provider)
    {
        var updates = new List<StreamingChatCompletionUpdate>();
        await foreach (var update in Chat(provider).CompleteChatStreamingAsync([new UserChatMessage("Hello")]))
        {
            updates.Add(update);
        }

        Assert.Equal(upstreams[provider].ReplyText, string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text)));
        Assert.Equal(ChatFinishReason.Stop, updates.Last(u => u.FinishReason is not null).FinishReason);
        Assert.NotNull(updates[^1].Usage);
        Assert.True(updates[^1].Usage.OutputTokenCount > 0);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Provider_400_is_a_400_naming_the_provider_unless_it_is_openai(string provider)
    {
        upstreams[provider].Enqueue(new Fault.Status(400));

        using var response = await upstreams.Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat(provider)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var (message, type, _, _) = await Http.ReadErrorAsync(response);
        Assert.Equal("invalid_request_error", type);
        if (provider != "openai")
        {
            Assert.StartsWith($"Provider '{provider}' ", message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Provider_rejecting_the_gateways_key_is_a_502_that_shows_no_key(string provider)
    {
        upstreams[provider].Enqueue(upstreams[provider].BadKey);

        using var response = await upstreams.Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat(provider)));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var (message, _, code, _) = await Http.ReadErrorAsync(response);
        Assert.Equal("upstream_auth_failed", code);
        Assert.DoesNotContain(upstreams[provider].Secret, message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Rate_limit_is_a_429_with_the_providers_retry_after(string provider)
    {
        var upstream = upstreams[provider];
        upstream.Enqueue(upstream.RateLimited);

        using var response = await upstreams.Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat(provider)));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("rate_limit_exceeded", (await Http.ReadErrorAsync(response)).Code);
        Assert.Equal(upstream.RetryAfter, response.Headers.TryGetValues("retry-after", out var values) ? values.Single() : null);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Provider_500_is_a_500(string provider)
    {
        upstreams[provider].Enqueue(new Fault.Status(500));

        using var response = await upstreams.Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat(provider)));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.False(string.IsNullOrEmpty((await Http.ReadErrorAsync(response)).Message));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Silent_provider_is_a_504_after_the_endpoint_timeout(string provider)
    {
        upstreams[provider].Enqueue(new Fault.Delay(TimeSpan.FromSeconds(30)));

        using var response = await upstreams.Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat(provider + "-slow")));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("upstream_timeout", (await Http.ReadErrorAsync(response)).Code);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Truncated_stream_never_looks_complete(string provider)
    {
        upstreams[provider].Enqueue(new Fault.TruncatedStreamAfter(3));

        using var response = await upstreams.Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat(provider, stream: true)));
        var body = await response.Content.ReadAsStringAsync();

        // Relayed or translated, the stream ends with an error event in OpenAI's shape and never with [DONE].
        Assert.DoesNotContain("data: [DONE]", body, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"upstream_stream_interrupted\"", body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);
    }

    /// <summary>One fake upstream per provider type, behind one gateway; each endpoint is named after its provider.</summary>
    public sealed class Upstreams : IAsyncLifetime
    {
        private readonly Dictionary<string, MatrixUpstream> _upstreams = new(StringComparer.Ordinal);
        private FakeOpenAiServer _openAi = null!;
        private FakeOpenAiServer _azure = null!;
        private FakeOpenAiServer _groq = null!;
        private FakeAnthropicServer _anthropic = null!;
        private FakeGeminiServer _gemini = null!;
        private FakeBedrockServer _bedrock = null!;

        internal GatewayHost Gateway { get; private set; } = null!;

        public MatrixUpstream this[string provider] => _upstreams[provider];

        public async Task InitializeAsync()
        {
            _openAi = await FakeOpenAiServer.StartAsync();
            _azure = await FakeOpenAiServer.StartAzureAsync();
            _groq = await FakeOpenAiServer.StartAsync();
            _anthropic = await FakeAnthropicServer.StartAsync();
            _gemini = await FakeGeminiServer.StartAsync();
            _bedrock = await FakeBedrockServer.StartAsync();
            var openAiRetry = new Fault.Status(429, Headers: new Dictionary<string, string> { ["retry-after"] = "7" });
            foreach (var (name, fake) in new[] { ("openai", _openAi), ("azure", _azure), ("groq", _groq) })
            {
                _upstreams[name] = new MatrixUpstream(() => fake.ReplyText, fake.Enqueue, (tool, args) => fake.ToolCalls.Enqueue((tool, args)),
                    new Fault.Status(401), openAiRetry, "7", fake.ApiKey);
            }

            _upstreams["anthropic"] = new MatrixUpstream(() => _anthropic.ReplyText, _anthropic.Enqueue, (tool, args) => _anthropic.ToolUses.Enqueue((tool, args)),
                new Fault.Status(401), new Fault.Status(429, Headers: new Dictionary<string, string> { ["retry-after"] = "12" }), "12", _anthropic.ApiKey);
            // Gemini refuses a bad key with a 400 and says its wait in a RetryInfo detail (27s in the fake).
            _upstreams["gemini"] = new MatrixUpstream(() => _gemini.ReplyText, _gemini.Enqueue, (tool, args) => _gemini.FunctionCalls.Enqueue((tool, args)),
                new Fault.Status(400, GeminiErrors.InvalidKey()), new Fault.Status(429), "27", _gemini.ApiKey);
            // Bedrock's throttling carries no wait at all.
            _upstreams["bedrock"] = new MatrixUpstream(() => _bedrock.ReplyText, _bedrock.Enqueue, (tool, args) => _bedrock.ToolUses.Enqueue((tool, args)),
                new Fault.Status(403, BedrockErrors.Body("The security token included in the request is invalid.")), new Fault.Status(429), null, FakeBedrockServer.SecretAccessKey);

            var endpoints = string.Concat(new[]
            {
                ("openai", "gpt-4o-mini"), ("azure", "chat-deployment"), ("groq", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4-5"),
                ("gemini", "gemini-2.5-flash"), ("bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
            }.Select(e => $$"""

                  {{e.Item1}}:
                    timeout: 10s
                    targets: [ { provider: {{e.Item1}}, model: "{{e.Item2}}" } ]
                  {{e.Item1}}-slow:
                    timeout: 1s
                    targets: [ { provider: {{e.Item1}}, model: "{{e.Item2}}" } ]
                """));
            Gateway = await GatewayHost.StartAsync($$"""
                server: { listen: http://127.0.0.1:8080, auth: none }
                providers:
                  openai: { type: openai, base_url: "{{_openAi.BaseUrl}}", api_key: {{_openAi.ApiKey}} }
                  azure: { type: azure_openai, base_url: "{{_azure.BaseUrl}}", api_key: {{_azure.ApiKey}} }
                  groq: { type: groq, base_url: "{{_groq.BaseUrl}}", api_key: {{_groq.ApiKey}} }
                  anthropic: { type: anthropic, base_url: "{{_anthropic.BaseUrl}}", api_key: {{_anthropic.ApiKey}} }
                  gemini: { type: gemini, base_url: "{{_gemini.BaseUrl}}", api_key: {{_gemini.ApiKey}} }
                  bedrock:
                    type: bedrock
                    region: {{FakeBedrockServer.Region}}
                    base_url: "{{_bedrock.BaseUrl}}"
                    aws_access_key_id: {{FakeBedrockServer.AccessKeyId}}
                    aws_secret_access_key: {{FakeBedrockServer.SecretAccessKey}}
                endpoints:{{endpoints}}
                """);
        }

        public async Task DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await _openAi.DisposeAsync();
            await _azure.DisposeAsync();
            await _groq.DisposeAsync();
            await _anthropic.DisposeAsync();
            await _gemini.DisposeAsync();
            await _bedrock.DisposeAsync();
        }
    }

    /// <summary>What the matrix needs of a fake, and how that provider says "bad key" and "slow down".</summary>
    /// <param name="RetryAfter">The Retry-After the client should see for <paramref name="RateLimited"/>; null where the provider gives no wait.</param>
    public sealed record MatrixUpstream(Func<string> Reply, Action<Fault> Enqueue, Action<string, string> QueueToolCall, Fault BadKey, Fault RateLimited, string? RetryAfter, string Secret)
    {
        public string ReplyText => Reply();
    }
}
