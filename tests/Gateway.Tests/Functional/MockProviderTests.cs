using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Support;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace Gateway.Tests.Functional;

/// <summary>The built-in mock provider answers stock SDKs offline, deterministically, with realistic usage.</summary>
public sealed class MockProviderTests : IAsyncLifetime
{
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayHost.StartAsync(TestConfigs.MockOnly);

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Chat_answers_deterministically_and_counts_tokens()
    {
        var chat = _gateway.Sdk().GetChatClient("chat");

        ChatCompletion first = await chat.CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("What is a gateway?")]);
        ChatCompletion second = await chat.CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("What is a gateway?")]);

        Assert.Equal("Hello from the gateway's mock model mock-chat. You said: \"What is a gateway?\"", first.Content[0].Text);
        Assert.Equal(first.Content[0].Text, second.Content[0].Text);
        Assert.Equal("mock-chat", first.Model);
        Assert.Equal(3 + (4 + 3) + (4 + 5), first.Usage.InputTokenCount);
        Assert.Equal(13, first.Usage.OutputTokenCount);
        Assert.Equal(first.Usage.InputTokenCount + first.Usage.OutputTokenCount, first.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task Chat_stream_sends_the_same_text_word_by_word_with_usage_last()
    {
        var chat = _gateway.Sdk().GetChatClient("chat");
        var deltas = new List<string>();
        ChatTokenUsage? usage = null;

        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("stream me")]))
        {
            deltas.AddRange(update.ContentUpdate.Select(p => p.Text));
            usage ??= update.Usage;
        }

        Assert.Equal("Hello from the gateway's mock model mock-chat. You said: \"stream me\"", string.Concat(deltas));
        Assert.True(deltas.Count > 5);
        Assert.Equal(deltas.Count(d => d.Length > 0), usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Max_tokens_cuts_the_answer_with_finish_reason_length()
    {
        var chat = _gateway.Sdk().GetChatClient("chat");

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("long please")], new ChatCompletionOptions { MaxOutputTokenCount = 3 });

        Assert.Equal("Hello from the", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
    }

    [Fact]
    public async Task Embeddings_are_unit_vectors_that_repeat_for_the_same_text_in_float_and_base64()
    {
        var client = _gateway.Sdk().GetEmbeddingClient("embeddings");

        var result = await client.GenerateEmbeddingsAsync(["alpha", "beta", "alpha"], new EmbeddingGenerationOptions { Dimensions = 64 });
        using var floatResponse = await _gateway.Client.SendAsync(Http.Post("/v1/embeddings", """{"model":"embeddings","input":"alpha","dimensions":64,"encoding_format":"float"}"""));
        var floats = (await floatResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();

        var vectors = result.Value.Select(e => e.ToFloats().ToArray()).ToArray();
        Assert.Equal(64, vectors[0].Length);
        Assert.Equal(vectors[0], vectors[2]);
        Assert.NotEqual(vectors[0], vectors[1]);
        Assert.Equal(vectors[0], floats);
        Assert.Equal(1.0, Math.Sqrt(vectors[1].Sum(v => (double)v * v)), 3);
    }

    [Fact]
    public async Task Completions_answer_in_text_completion_shape_stream_and_non_stream()
    {
        using var plain = await _gateway.Client.SendAsync(Http.Post("/v1/completions", """{"model":"completions","prompt":"Once","max_tokens":4}"""));
        using var streamed = await _gateway.Client.SendAsync(Http.Post("/v1/completions", """{"model":"completions","prompt":"Once","max_tokens":4,"stream":true}"""));
        var json = await plain.Content.ReadFromJsonAsync<JsonElement>();
        var events = (await streamed.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("text_completion", json.GetProperty("object").GetString());
        Assert.Equal("Hello from the gateway's", json.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal("length", json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(5, events.Length);
        Assert.Equal("data: [DONE]", events[^1]);
    }

    [Fact]
    public async Task Quick_start_config_needs_no_key()
    {
        using var response = await _gateway.Client.GetAsync("/v1/models");

        Assert.Equal(200, (int)response.StatusCode);
    }
}
