using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using OpenAI;
using OpenAI.Chat;

namespace Gateway.Tests.Guardrails;

/// <summary>
/// Guardrails through the real HTTP surface, against the fake OpenAI upstream, fresh for each test: a gateway with
/// an endpoint per guardrail action, what the provider received, and readers for streamed answers.
/// </summary>
public abstract class GuardrailGatewayTest : IAsyncLifetime
{
    private protected const string Email = "jane.doe@example.com";
    private protected const string Phone = "+1 202-555-0143";
    private protected const string Card = "4111 1111 1111 1111";
    private protected const string Iban = "DE89 3704 0044 0532 0130 00";

    private protected FakeOpenAiServer Upstream { get; private set; } = null!;

    private protected GatewayHost Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await FakeOpenAiServer.StartAsync();
        Gateway = await GatewayHost.StartAsync(Config());
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    private protected string Config(string chatLogAction = "log") => $$"""
        server: { auth: keys }
        keys:
          - { key: {{TestConfigs.AliceKey}}, user: alice }
        providers:
          upstream: { type: openai, base_url: "{{Upstream.BaseUrl}}", api_key: {{Upstream.ApiKey}}, circuit_breaker: { enabled: false } }
        endpoints:
          chat: { targets: [ { provider: upstream, model: gpt-4o-mini } ], guardrails: [pii] }
          chat-redact: { targets: [ { provider: upstream, model: gpt-4o-mini } ], guardrails: [redactor] }
          chat-block: { targets: [ { provider: upstream, model: gpt-4o-mini } ], guardrails: [blocker] }
          chat-log: { targets: [ { provider: upstream, model: gpt-4o-mini } ], guardrails: [logger] }
          chat-custom: { targets: [ { provider: upstream, model: gpt-4o-mini } ], guardrails: [employees] }
          chat-answers: { targets: [ { provider: upstream, model: gpt-4o-mini } ], guardrails: [answer-block] }
          chat-open: { targets: [ { provider: upstream, model: gpt-4o-mini } ] }
          legacy: { type: completions, targets: [ { provider: upstream, model: gpt-3.5-turbo-instruct } ], guardrails: [pii] }
          embed: { type: embeddings, targets: [ { provider: upstream, model: text-embedding-3-small } ], guardrails: [pii] }
        guardrails:
          pii: { entities: [EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN, IP_ADDRESS, SECRET], action: mask }
          redactor: { entities: [EMAIL, CREDIT_CARD], action: redact, direction: request }
          blocker: { entities: [CREDIT_CARD, SECRET], action: block, direction: request }
          logger: { entities: [EMAIL], action: {{chatLogAction}} }
          employees:
            action: mask
            patterns:
              - { name: EMPLOYEE_ID, regex: "E-[0-9]{6}", score: 0.3, context: [employee, staff] }
          answer-block: { entities: [CREDIT_CARD], action: block, direction: response }
        tracking: { capture: full }
        """;

    private protected ChatClient Chat(string endpoint) => new OpenAIClient(new ApiKeyCredential(TestConfigs.AliceKey), Gateway.SdkOptions()).GetChatClient(endpoint);

    private protected JsonElement SentBody() => JsonDocument.Parse(Upstream.Requests.Last().Body).RootElement;

    private protected string SentText(int message = 0) => SentBody().GetProperty("messages")[message].GetProperty("content").GetString()!;

    /// <summary>The streamed text of choice 0, its finish_reason, and whether [DONE] came.</summary>
    private protected static async Task<(string Text, string? Finish, bool Done)> ReadStreamAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = new StringBuilder();
        string? finish = null;
        var done = false;
        foreach (var data in await DataLinesAsync(response))
        {
            if (data == "[DONE]")
            {
                done = true;
                continue;
            }

            foreach (var choice in JsonDocument.Parse(data).RootElement.GetProperty("choices").EnumerateArray())
            {
                if (choice.GetProperty("delta").TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    text.Append(content.GetString());
                }

                if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String)
                {
                    finish = choice.GetProperty("finish_reason").GetString();
                }
            }
        }

        return (text.ToString(), finish, done);
    }

    private protected static async Task<string> ReadToolArgumentsAsync(HttpResponseMessage response)
    {
        var arguments = new StringBuilder();
        foreach (var data in (await DataLinesAsync(response)).Where(d => d != "[DONE]"))
        {
            foreach (var choice in JsonDocument.Parse(data).RootElement.GetProperty("choices").EnumerateArray())
            {
                if (choice.GetProperty("delta").TryGetProperty("tool_calls", out var calls))
                {
                    foreach (var call in calls.EnumerateArray())
                    {
                        if (call.TryGetProperty("function", out var function) && function.TryGetProperty("arguments", out var part))
                        {
                            arguments.Append(part.GetString());
                        }
                    }
                }
            }
        }

        return arguments.ToString();
    }

    private static async Task<List<string>> DataLinesAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        return [.. events.Select(e => e["data: ".Length..].Trim())];
    }
}
