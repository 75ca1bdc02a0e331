using System.ClientModel;
using System.ClientModel.Primitives;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace Gateway.Tests.FakeProviders;

/// <summary>The fake is only worth testing against if the official OpenAI SDK accepts it as OpenAI: drive it directly.</summary>
public sealed class FakeOpenAiServerTests : IAsyncLifetime
{
    private FakeOpenAiServer _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    private OpenAIClient Sdk(string? key = null) =>
        new(new ApiKeyCredential(key ?? _fake.ApiKey), new OpenAIClientOptions { Endpoint = _fake.BaseUrl, RetryPolicy = new ClientRetryPolicy(0), NetworkTimeout = GatewayHost.Bound });

    [Fact]
    public async Task Official_sdk_reads_a_chat_completion_from_the_fake()
    {
        ChatCompletion completion = await Sdk().GetChatClient("gpt-4o-mini").CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal(_fake.ReplyText, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task Official_sdk_reads_the_fakes_stream_in_openai_event_order()
    {
        var updates = new List<StreamingChatCompletionUpdate>();
        await foreach (var update in Sdk().GetChatClient("gpt-4o-mini").CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            updates.Add(update);
        }

        Assert.Equal(ChatMessageRole.Assistant, updates[0].Role);
        Assert.Equal(_fake.ReplyText, string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text)));
        Assert.Equal(ChatFinishReason.Stop, updates[^2].FinishReason);
        Assert.NotNull(updates[^1].Usage);
    }

    [Fact]
    public async Task Official_sdk_reads_the_fakes_tool_calls_whole_and_streamed()
    {
        var options = new ChatCompletionOptions { Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}""")) } };
        _fake.ToolCalls.Enqueue(("get_weather", """{"city":"Paris"}"""));
        _fake.ToolCalls.Enqueue(("get_weather", """{"city":"Rome"}"""));
        var chat = Sdk().GetChatClient("gpt-4o-mini");

        ChatCompletion whole = await chat.CompleteChatAsync([new UserChatMessage("Weather in Paris and Rome?")], options);
        _fake.ToolCalls.Enqueue(("get_weather", """{"city":"Oslo"}"""));
        var builder = new Dictionary<int, string>();
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Weather in Oslo?")], options))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                builder[call.Index] = builder.GetValueOrDefault(call.Index) + call.FunctionArgumentsUpdate;
            }
        }

        Assert.Equal(ChatFinishReason.ToolCalls, whole.FinishReason);
        Assert.Equal(["""{"city":"Paris"}""", """{"city":"Rome"}"""], whole.ToolCalls.Select(c => c.FunctionArguments.ToString()));
        Assert.Equal("""{"city":"Oslo"}""", Assert.Single(builder).Value);
    }

    [Fact]
    public async Task Fake_refuses_json_mode_without_the_word_json_as_openai_does()
    {
        var chat = Sdk().GetChatClient("gpt-4o-mini");
        var options = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() };

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")], options));
        ChatCompletion answered = await chat.CompleteChatAsync([new UserChatMessage("answer in JSON")], options);

        Assert.Equal(400, refused.Status);
        Assert.Equal("fake", System.Text.Json.JsonDocument.Parse(answered.Content[0].Text).RootElement.GetProperty("answer").GetString());
    }

    [Fact]
    public async Task Official_sdk_decodes_the_fakes_base64_embeddings()
    {
        OpenAIEmbedding embedding = await Sdk().GetEmbeddingClient("text-embedding-3-small").GenerateEmbeddingAsync("hi", new EmbeddingGenerationOptions { Dimensions = 8 });

        Assert.Equal(8, embedding.ToFloats().Length);
        Assert.Equal(MathF.Sin(0 + 0 + "\"hi\"".Length), embedding.ToFloats().Span[0]);
    }

    [Fact]
    public async Task Official_sdk_sees_the_fakes_401_for_a_wrong_key_as_openai_does()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Sdk("sk-wrong-key-99999999").GetChatClient("gpt-4o-mini").CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(401, error.Status);
        Assert.Contains("Incorrect API key provided: sk-**************9999", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Official_sdk_sees_model_not_found_as_404()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Sdk().GetChatClient("gpt-9").CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(404, error.Status);
        Assert.Contains("model_not_found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fake_notices_when_its_caller_leaves_mid_stream()
    {
        _fake.Enqueue(new Fault.StreamGate(new TaskCompletionSource()));
        using var client = new HttpClient();
        await Http.AbandonStreamAfterFirstLineAsync(client, Http.Post(_fake.BaseUrl + "/chat/completions", Http.Chat("gpt-4o-mini", stream: true), _fake.ApiKey));

        await Assert.Single(_fake.Requests).Aborted.WaitAsync(GatewayHost.Bound);
    }
}
