using System.Net;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using OpenAI.Chat;

namespace Gateway.Tests.Functional;

/// <summary>Presets are OpenAI's wire format with their own defaults: the bytes go through as for openai, keyed or not.</summary>
public sealed class OpenAiPresetTests
{
    [Fact]
    public async Task Hosted_preset_forwards_with_its_bearer_key_to_the_base_url_given()
    {
        await using var upstream = await FakeOpenAiServer.StartAsync();
        await using var gateway = await GatewayHost.StartAsync(Config($"{{ type: groq, base_url: \"{upstream.BaseUrl}\", api_key: {upstream.ApiKey} }}"));

        ChatCompletion completion = await gateway.Sdk().GetChatClient("chat").CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal(upstream.ReplyText, completion.Content[0].Text);
        var sent = Assert.Single(upstream.Requests);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal("Bearer " + upstream.ApiKey, sent.Header("authorization"));
    }

    [Fact]
    public async Task Self_hosted_preset_without_a_key_sends_no_credentials_at_all()
    {
        await using var upstream = await FakeOpenAiServer.StartAsync();
        await using var gateway = await GatewayHost.StartAsync(Config($"{{ type: ollama, base_url: \"{upstream.BaseUrl}\" }}"));

        using var response = await gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat"), "caller-key-must-not-travel"));

        // The fake insists on a key as OpenAI does; what matters is that neither ours nor the caller's went upstream.
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Null(Assert.Single(upstream.Requests).Header("authorization"));
    }

    [Theory]
    [InlineData("openai", "Rate limit reached for requests. Please try again in 1s.")]
    [InlineData("groq", "Provider 'p' (groq) returned HTTP 429: Rate limit reached for requests. Please try again in 1s.")]
    public async Task Openai_errors_pass_through_untouched_while_presets_name_the_provider(string type, string message)
    {
        await using var upstream = await FakeOpenAiServer.StartAsync();
        await using var gateway = await GatewayHost.StartAsync(Config($"{{ type: {type}, base_url: \"{upstream.BaseUrl}\", api_key: {upstream.ApiKey} }}"));
        upstream.Enqueue(new Fault.Status(429, Headers: new Dictionary<string, string> { ["retry-after"] = "3" }));

        using var response = await gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        var (actual, type429, code, _) = await Http.ReadErrorAsync(response);
        Assert.Equal((HttpStatusCode.TooManyRequests, "3"), (response.StatusCode, response.Headers.GetValues("retry-after").Single()));
        Assert.Equal(("requests", "rate_limit_exceeded", message), (type429, code, actual));
    }

    private static string Config(string provider) => $$"""
        server: { listen: http://127.0.0.1:8080, auth: none }
        providers:
          p: {{provider}}
        endpoints:
          chat:
            targets: [ { provider: p, model: gpt-4o-mini } ]
        """;
}
