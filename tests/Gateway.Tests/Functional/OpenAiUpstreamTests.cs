using System.ClientModel;
using System.Net.Http.Json;
using System.Text.Json;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;

namespace Gateway.Tests.Functional;

/// <summary>Stock OpenAI SDK and Microsoft.Extensions.AI clients, through the gateway, to an OpenAI-compatible upstream.</summary>
public sealed class OpenAiUpstreamTests : UpstreamGatewayTest
{

    [Fact]
    public async Task Sdk_chat_gets_the_upstream_answer_with_the_endpoint_rewritten_to_the_target_model()
    {
        var chat = Gateway.Sdk(TestConfigs.AliceKey).GetChatClient("chat");

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("Say hello")]);

        Assert.Equal(Upstream.ReplyText, completion.Content[0].Text);
        Assert.Equal("gpt-4o-mini", completion.Model);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.True(completion.Usage.InputTokenCount > 0);
        var sent = Assert.Single(Upstream.Requests);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal("gpt-4o-mini", JsonDocument.Parse(sent.Body).RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Upstream_sees_the_provider_key_and_never_the_callers_gateway_key()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "chat", messages = new[] { new { role = "user", content = "hi" } } }),
        };
        request.Headers.Add("x-api-key", TestConfigs.AliceKey);
        request.Headers.Add("api-key", TestConfigs.AliceKey);
        request.Headers.Add("OpenAI-Organization", "org-passes-through");

        using var response = await Gateway.Client.SendAsync(request);

        Assert.Equal(200, (int)response.StatusCode);
        var sent = Assert.Single(Upstream.Requests);
        Assert.Equal($"Bearer {Upstream.ApiKey}", sent.Header("authorization"));
        Assert.Null(sent.Header("x-api-key"));
        Assert.Null(sent.Header("api-key"));
        Assert.Equal("org-passes-through", sent.Header("openai-organization"));
        Assert.DoesNotContain(sent.Headers.Values, v => v.Contains(TestConfigs.AliceKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_request_fields_reach_the_upstream_byte_for_byte_apart_from_the_model()
    {
        const string body = """{"messages":[{"role":"user","content":"caf\u00e9 \"quoted\""}],"model":"chat","x_vendor":{"deep":[1,2.50,{"a":null}]},"temperature":0.20}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, null, "application/json") };
        request.Headers.Authorization = new("Bearer", TestConfigs.AliceKey);

        using var response = await Gateway.Client.SendAsync(request);

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(body.Replace("\"model\":\"chat\"", "\"model\":\"gpt-4o-mini\"", StringComparison.Ordinal), Assert.Single(Upstream.Requests).Body);
    }

    [Fact]
    public async Task Sdk_streaming_chat_receives_every_chunk_and_the_usage_chunk()
    {
        var chat = Gateway.Sdk(TestConfigs.AliceKey).GetChatClient("chat");
        var text = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;

        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Stream please")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal(Upstream.ReplyText, text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.True(usage.OutputTokenCount > 0);
        Assert.True(JsonDocument.Parse(Assert.Single(Upstream.Requests).Body).RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public async Task Sdk_embeddings_round_trip_through_the_gateway()
    {
        var embeddings = Gateway.Sdk(TestConfigs.AliceKey).GetEmbeddingClient("embed");

        var result = await embeddings.GenerateEmbeddingsAsync(["first", "second"], new OpenAI.Embeddings.EmbeddingGenerationOptions { Dimensions = 16 });

        Assert.Equal(2, result.Value.Count);
        Assert.Equal(16, result.Value[0].ToFloats().Length);
        Assert.Equal("text-embedding-3-small", JsonDocument.Parse(Assert.Single(Upstream.Requests).Body).RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Chat_client_from_Microsoft_Extensions_AI_chats_and_streams_through_the_gateway()
    {
        IChatClient client = Gateway.Sdk(TestConfigs.AliceKey).GetChatClient("chat").AsIChatClient();

        var response = await client.GetResponseAsync("Hello?");
        var streamed = new System.Text.StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync("Hello again?"))
        {
            streamed.Append(update.Text);
        }

        Assert.Equal(Upstream.ReplyText, response.Text);
        Assert.Equal(Upstream.ReplyText, streamed.ToString());
        Assert.Equal(2, Upstream.Requests.Count);
    }

    [Fact]
    public async Task Embedding_generator_from_Microsoft_Extensions_AI_embeds_through_the_gateway()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = Gateway.Sdk(TestConfigs.AliceKey).GetEmbeddingClient("embed").AsIEmbeddingGenerator();

        var vectors = await generator.GenerateAsync(["one"]);

        Assert.Equal(1536, Assert.Single(vectors).Vector.Length);
    }

    [Fact]
    public async Task Legacy_completions_endpoint_forwards_to_the_upstream_completions_operation()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { model = "legacy", prompt = "Once upon a time" }),
        };
        request.Headers.Authorization = new("Bearer", TestConfigs.AliceKey);

        using var response = await Gateway.Client.SendAsync(request);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text_completion", json.GetProperty("object").GetString());
        Assert.Equal("/v1/completions", Assert.Single(Upstream.Requests).Path);
    }

    [Fact]
    public async Task Models_lists_only_the_endpoints_the_callers_key_may_use()
    {
        var alice = await Gateway.Sdk(TestConfigs.AliceKey).GetOpenAIModelClient().GetModelsAsync();
        var bob = await Gateway.Sdk(TestConfigs.BobKey).GetOpenAIModelClient().GetModelsAsync();

        Assert.Equal(["chat", "embed", "legacy", "mock-chat"], alice.Value.Select(m => m.Id));
        Assert.Equal(["chat"], bob.Value.Select(m => m.Id));
    }

    [Theory]
    [InlineData("Authorization", "Bearer " + TestConfigs.AliceKey)]
    [InlineData("api-key", TestConfigs.AliceKey)]
    [InlineData("x-api-key", TestConfigs.AliceKey)]
    public async Task Gateway_key_is_accepted_in_the_headers_stock_sdks_use(string header, string value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.TryAddWithoutValidation(header, value);

        using var response = await Gateway.Client.SendAsync(request);

        Assert.Equal(200, (int)response.StatusCode);
    }

    [Fact]
    public async Task Sdk_surfaces_a_wrong_gateway_key_as_401()
    {
        var chat = Gateway.Sdk("gw-wrong-key-0000000000000").GetChatClient("chat");

        var error = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(401, error.Status);
        Assert.Empty(Upstream.Requests);
    }
}
