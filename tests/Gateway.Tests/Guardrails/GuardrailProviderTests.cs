using System.Text;
using System.Text.Json;
using FakeProviders.Anthropic;
using Gateway.Tests.Support;
using OpenAI.Chat;

namespace Gateway.Tests.Guardrails;

/// <summary>
/// Guardrails in front of providers that do not forward bytes: the quick-start config (the mock, which echoes what
/// it was sent, sees the placeholder and the caller reads the value back) and Anthropic, translated both ways.
/// </summary>
public sealed class GuardrailProviderTests : IAsyncLifetime
{
    private const string Email = "jane.doe@example.com";

    private FakeAnthropicServer _anthropic = null!;
    private GatewayHost _quickStart = null!;
    private GatewayHost _claude = null!;

    public async Task InitializeAsync()
    {
        _anthropic = await FakeAnthropicServer.StartAsync();
        _quickStart = await GatewayHost.StartAsync(await File.ReadAllTextAsync(Repository.File("gateway.yaml")));
        _claude = await GatewayHost.StartAsync($$"""
            server: { listen: http://127.0.0.1:8080, auth: none }
            providers:
              claude: { type: anthropic, base_url: "{{_anthropic.BaseUrl}}", api_key: {{_anthropic.ApiKey}} }
            endpoints:
              chat: { targets: [ { provider: claude, model: claude-sonnet-4-5 } ], guardrails: [pii] }
            guardrails:
              pii: { entities: [EMAIL, CREDIT_CARD], action: mask }
            """);
    }

    public async Task DisposeAsync()
    {
        await _quickStart.DisposeAsync();
        await _claude.DisposeAsync();
        await _anthropic.DisposeAsync();
    }

    [Fact]
    public async Task Quick_start_mock_echoes_the_placeholder_and_the_caller_reads_the_value()
    {
        var chat = _quickStart.Sdk().GetChatClient("chat");

        ChatCompletion answer = await chat.CompleteChatAsync([new UserChatMessage($"Mail me at {Email}")]);

        Assert.Equal($"Hello from the gateway's mock model mock-chat. You said: \"Mail me at {Email}\"", answer.Content[0].Text);
        var trace = await _quickStart.SingleTraceAsync();
        Assert.Contains("Mail me at <EMAIL_1>", trace.RequestBody!, StringComparison.Ordinal);
        Assert.DoesNotContain(Email, trace.ResponseBody!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quick_start_mock_stream_is_restored_word_by_word()
    {
        var chat = _quickStart.Sdk().GetChatClient("chat");
        var text = new StringBuilder();

        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage($"Mail me at {Email}")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        Assert.Equal($"Hello from the gateway's mock model mock-chat. You said: \"Mail me at {Email}\"", text.ToString());
    }

    [Fact]
    public async Task Anthropic_receives_the_placeholder_and_its_translated_answer_is_restored()
    {
        _anthropic.ReplyText = "I will write to <EMAIL_1> today.";
        var chat = _claude.Sdk().GetChatClient("chat");

        ChatCompletion answer = await chat.CompleteChatAsync([new UserChatMessage($"Write to {Email}, card 4111 1111 1111 1111")]);
        var streamed = new StringBuilder();
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage($"Write to {Email}")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }
        }

        Assert.Equal($"I will write to {Email} today.", answer.Content[0].Text);
        Assert.Equal($"I will write to {Email} today.", streamed.ToString());
        var sent = JsonDocument.Parse(_anthropic.Requests.First().Body).RootElement.GetProperty("messages")[0].GetProperty("content");
        var sentText = sent.ValueKind == JsonValueKind.String ? sent.GetString() : sent[0].GetProperty("text").GetString();
        Assert.Equal("Write to <EMAIL_1>, card <CREDIT_CARD_1>", sentText);
    }
}
