using System.ClientModel;
using Azure.AI.OpenAI;
using FakeProviders.OpenAi;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace AzureSdk.Tests;

/// <summary>The fake Azure OpenAI resource, driven by Microsoft's own Azure OpenAI client: if that client accepts it, so would Azure's.</summary>
public sealed class FakeAzureOpenAiTests : IAsyncLifetime
{
    private FakeOpenAiServer _azure = null!;

    public async Task InitializeAsync() => _azure = await FakeOpenAiServer.StartAzureAsync();

    public async Task DisposeAsync() => await _azure.DisposeAsync();

    private AzureOpenAIClient Client(string? key = null) =>
        new(_azure.BaseUrl, new ApiKeyCredential(key ?? _azure.ApiKey), new AzureOpenAIClientOptions(AzureOpenAIClientOptions.ServiceVersion.V2024_10_21) { RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) });

    [Fact]
    public async Task Azure_sdk_reads_a_chat_completion_from_the_fake_deployment()
    {
        ChatCompletion completion = await Client().GetChatClient("chat-deployment").CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal(_azure.ReplyText, completion.Content[0].Text);
        var sent = Assert.Single(_azure.Requests);
        Assert.Equal("/openai/deployments/chat-deployment/chat/completions", sent.Path);
        Assert.Equal("?api-version=2024-10-21", sent.Query);
        Assert.Equal(_azure.ApiKey, sent.Header("api-key"));
    }

    [Fact]
    public async Task Azure_sdk_reads_the_fakes_stream_with_its_filter_chunk_first()
    {
        var text = "";
        await foreach (var update in Client().GetChatClient("chat-deployment").CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            text += string.Concat(update.ContentUpdate.Select(p => p.Text));
        }

        Assert.Equal(_azure.ReplyText, text);
    }

    [Fact]
    public async Task Azure_sdk_reads_embeddings_from_the_fake()
    {
        OpenAIEmbedding embedding = await Client().GetEmbeddingClient("embeddings-deployment").GenerateEmbeddingAsync("hi");

        Assert.False(embedding.ToFloats().IsEmpty);
    }

    [Fact]
    public async Task Azure_sdk_sees_the_fakes_401_for_a_wrong_key()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client("wrong-key").GetChatClient("chat-deployment").CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(401, error.Status);
        Assert.Contains("Access denied due to invalid subscription key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Azure_sdk_sees_the_fakes_404_for_an_unknown_deployment()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client().GetChatClient("nope").CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(404, error.Status);
        Assert.Contains("DeploymentNotFound", error.Message, StringComparison.Ordinal);
    }
}
