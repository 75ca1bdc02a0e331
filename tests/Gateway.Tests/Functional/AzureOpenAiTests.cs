using System.ClientModel;
using System.Net;
using System.Text.Json;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace Gateway.Tests.Functional;

/// <summary>
/// azure_openai: the stock OpenAI SDK talks to the gateway as usual; the gateway calls the target's
/// deployment with api-version and Azure's credential, and Azure's answers come back as OpenAI's.
/// </summary>
public sealed class AzureOpenAiTests : IAsyncLifetime
{
    private FakeOpenAiServer _azure = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _azure = await FakeOpenAiServer.StartAzureAsync();
        _gateway = await GatewayHost.StartAsync(Config($"api_key: {_azure.ApiKey}"));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _azure.DisposeAsync();
    }

    private string Config(string credential, string apiVersion = "2024-10-21") => $$"""
        server: { listen: http://127.0.0.1:8080, auth: none }
        providers:
          azure: { type: azure_openai, base_url: "{{_azure.BaseUrl}}", {{credential}}, api_version: {{apiVersion}} }
        endpoints:
          chat:
            targets: [ { provider: azure, model: chat-deployment } ]
          embeddings:
            type: embeddings
            targets: [ { provider: azure, model: embeddings-deployment } ]
          missing:
            targets: [ { provider: azure, model: no-such-deployment } ]
        """;

    [Fact]
    public async Task Sdk_chat_reaches_the_deployment_with_the_api_key_and_api_version()
    {
        ChatCompletion completion = await _gateway.Sdk().GetChatClient("chat").CompleteChatAsync([new UserChatMessage("Say hello")]);

        Assert.Equal(_azure.ReplyText, completion.Content[0].Text);
        Assert.Equal("gpt-4o-mini", completion.Model);
        var sent = Assert.Single(_azure.Requests);
        Assert.Equal("/openai/deployments/chat-deployment/chat/completions", sent.Path);
        Assert.Equal("?api-version=2024-10-21", sent.Query);
        Assert.Equal(_azure.ApiKey, sent.Header("api-key"));
        Assert.Null(sent.Header("authorization"));
    }

    [Fact]
    public async Task Sdk_stream_through_azure_gets_every_chunk_and_the_usage_despite_the_filter_chunk()
    {
        var updates = new List<StreamingChatCompletionUpdate>();
        await foreach (var update in _gateway.Sdk().GetChatClient("chat").CompleteChatStreamingAsync([new UserChatMessage("Stream please")]))
        {
            updates.Add(update);
        }

        Assert.Equal(_azure.ReplyText, string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text)));
        Assert.Contains(updates, u => u.FinishReason == ChatFinishReason.Stop);
        Assert.NotNull(updates[^1].Usage);
    }

    [Fact]
    public async Task Sdk_embeddings_reach_the_embeddings_deployment()
    {
        OpenAIEmbedding embedding = await _gateway.Sdk().GetEmbeddingClient("embeddings").GenerateEmbeddingAsync("hello");

        Assert.False(embedding.ToFloats().IsEmpty);
        Assert.Equal("/openai/deployments/embeddings-deployment/embeddings", Assert.Single(_azure.Requests).Path);
    }

    [Fact]
    public async Task Entra_token_is_sent_as_a_bearer_token_instead_of_the_key()
    {
        await _gateway.RewriteConfigAsync(Config($"bearer_token: {_azure.EntraToken}", apiVersion: "2025-01-01-preview"));

        ChatCompletion completion = await _gateway.Sdk().GetChatClient("chat").CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal(_azure.ReplyText, completion.Content[0].Text);
        var sent = Assert.Single(_azure.Requests);
        Assert.Equal("Bearer " + _azure.EntraToken, sent.Header("authorization"));
        Assert.Null(sent.Header("api-key"));
        Assert.Equal("?api-version=2025-01-01-preview", sent.Query);
        var adminView = await _gateway.Client.GetStringAsync(new Uri("/admin/config", UriKind.Relative));
        Assert.Contains("\"bearer_token\"", adminView, StringComparison.Ordinal);
        Assert.DoesNotContain(_azure.EntraToken, adminView, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Azure_rate_limit_keeps_its_status_message_and_retry_after_in_openais_shape()
    {
        const string Body = """{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds."}}""";
        _azure.Enqueue(new Fault.Status(429, Body, Headers: new Dictionary<string, string> { ["retry-after"] = "6" }));

        var error = await Assert.ThrowsAsync<ClientResultException>(() => _gateway.Sdk().GetChatClient("chat").CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(429, error.Status);
        Assert.Contains("Provider 'azure' (azure_openai) returned HTTP 429: Requests to the ChatCompletions_Create Operation", error.Message, StringComparison.Ordinal);
        Assert.Equal("6", error.GetRawResponse()!.Headers.TryGetValue("retry-after", out var retryAfter) ? retryAfter : null);
        var body = JsonDocument.Parse(error.GetRawResponse()!.Content).RootElement.GetProperty("error");
        Assert.Equal(("rate_limit_error", "rate_limit_exceeded"), (body.GetProperty("type").GetString(), body.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Unknown_deployment_is_a_404_in_openais_shape_naming_the_provider_with_azures_code()
    {
        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("missing")));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var (message, type, code, _) = await Http.ReadErrorAsync(response);
        Assert.Equal(("invalid_request_error", "DeploymentNotFound"), (type, code));
        Assert.StartsWith("Provider 'azure' (azure_openai) returned HTTP 404: The API deployment for this resource does not exist.", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Azure_refusing_the_key_is_a_502_that_never_shows_the_key()
    {
        await _gateway.RewriteConfigAsync(Config("api_key: wrong-azure-key-0123456789"));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var (message, _, code, _) = await Http.ReadErrorAsync(response);
        Assert.Equal("upstream_auth_failed", code);
        Assert.DoesNotContain("wrong-azure-key", message, StringComparison.Ordinal);
    }
}
