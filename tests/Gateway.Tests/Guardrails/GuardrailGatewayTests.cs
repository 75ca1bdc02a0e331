using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Diagnostics.Metrics;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using OpenAI;
using OpenAI.Chat;

namespace Gateway.Tests.Guardrails;

/// <summary>
/// Guardrails through the real HTTP surface, against the fake OpenAI upstream: what the provider received (masked,
/// redacted, or nothing at all) and what the caller got back (restored, or withheld), for chat, streams, tool
/// calls, completions and embeddings, with the trace's record of the findings.
/// </summary>
public sealed class GuardrailGatewayTests : IAsyncLifetime
{
    private const string Email = "jane.doe@example.com";
    private const string Phone = "+1 202-555-0143";
    private const string Card = "4111 1111 1111 1111";
    private const string Iban = "DE89 3704 0044 0532 0130 00";

    private FakeOpenAiServer _upstream = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeOpenAiServer.StartAsync();
        _gateway = await GatewayHost.StartAsync(Config());
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private string Config(string chatLogAction = "log") => $$"""
        server: { auth: keys }
        keys:
          - { key: {{TestConfigs.AliceKey}}, user: alice }
        providers:
          upstream: { type: openai, base_url: "{{_upstream.BaseUrl}}", api_key: {{_upstream.ApiKey}}, circuit_breaker: { enabled: false } }
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

    private ChatClient Chat(string endpoint) => new OpenAIClient(new ApiKeyCredential(TestConfigs.AliceKey), _gateway.SdkOptions()).GetChatClient(endpoint);

    private JsonElement SentBody() => JsonDocument.Parse(_upstream.Requests.Last().Body).RootElement;

    private string SentText(int message = 0) => SentBody().GetProperty("messages")[message].GetProperty("content").GetString()!;

    [Fact]
    public async Task Mask_keeps_values_from_the_provider_and_restores_them_for_the_caller()
    {
        _upstream.ReplyText = "I wrote to <EMAIL_1> and will call <PHONE_1> about <CREDIT_CARD_1>.";

        ChatCompletion answer = await Chat("chat").CompleteChatAsync([new UserChatMessage($"Email {Email} or call {Phone} about card {Card}, IBAN {Iban}.")]);

        Assert.Equal("Email <EMAIL_1> or call <PHONE_1> about card <CREDIT_CARD_1>, IBAN <IBAN_1>.", SentText());
        Assert.Equal($"I wrote to {Email} and will call {Phone} about {Card}.", answer.Content[0].Text);
    }

    [Fact]
    public async Task The_same_value_gets_the_same_placeholder_across_messages_and_different_values_different_ones()
    {
        await Chat("chat").CompleteChatAsync([
            new SystemChatMessage($"Support mailbox: help@corp.example"),
            new UserChatMessage($"I am {Email}; cc help@corp.example and {Email}."),
        ]);

        Assert.Equal("Support mailbox: <EMAIL_1>", SentText(0));
        Assert.Equal("I am <EMAIL_2>; cc <EMAIL_1> and <EMAIL_2>.", SentText(1));
    }

    [Fact]
    public async Task Streamed_answer_is_restored_and_masked_wherever_the_chunks_split_it()
    {
        // The model repeats a placeholder (restored) and writes a card number of its own (masked, not restored).
        const string reply = "Write to <EMAIL_1>; card 5555 5555 5555 4444 is on file.";
        _upstream.ReplyText = reply;
        var expected = $"Write to {Email}; card <CREDIT_CARD_1> is on file.";
        for (var size = 1; size <= reply.Length; size++)
        {
            _upstream.ReplyChunkChars = size;
            using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat", $"Mail {Email}", stream: true), TestConfigs.AliceKey));
            var (text, finish, done) = await ReadStreamAsync(response);

            Assert.True(expected == text, $"chunks of {size}: got '{text}'");
            Assert.Equal("stop", finish);
            Assert.True(done, $"chunks of {size}: no [DONE]");
            Assert.Equal("Mail <EMAIL_1>", SentText());
        }
    }

    [Fact]
    public async Task Sdk_streaming_gets_the_restored_text()
    {
        _upstream.ReplyText = "Sure, <EMAIL_1> is noted.";
        _upstream.ReplyChunkChars = 3;
        var text = new StringBuilder();

        await foreach (var update in Chat("chat").CompleteChatStreamingAsync([new UserChatMessage($"Note {Email}")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        Assert.Equal($"Sure, {Email} is noted.", text.ToString());
    }

    [Fact]
    public async Task Tool_call_arguments_and_tool_results_are_masked_and_answer_arguments_restored()
    {
        var body = new JsonObject
        {
            ["model"] = "chat",
            ["tools"] = new JsonArray(JsonNode.Parse("""{"type":"function","function":{"name":"send_mail","parameters":{"type":"object","properties":{"to":{"type":"string"}}}}}""")),
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "Mail my colleague" },
                new JsonObject
                {
                    ["role"] = "assistant",
                    ["content"] = null,
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["id"] = "call_1",
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = "lookup", ["arguments"] = $$"""{"email":"{{Email}}"}""" },
                    }),
                },
                new JsonObject { ["role"] = "tool", ["tool_call_id"] = "call_1", ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = $"Phone: {Phone}" }) }),
        };
        foreach (var stream in new[] { false, true })
        {
            _upstream.ToolCalls.Enqueue(("send_mail", """{"to":"<EMAIL_1>","note":"call <PHONE_1>"}"""));
            body["stream"] = stream;

            using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", body.ToJsonString(), TestConfigs.AliceKey));

            var sent = SentBody().GetProperty("messages");
            Assert.Equal("""{"email":"<EMAIL_1>"}""", sent[1].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString());
            Assert.Equal("Phone: <PHONE_1>", sent[2].GetProperty("content")[0].GetProperty("text").GetString());
            var arguments = stream ? await ReadToolArgumentsAsync(response) : JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement
                .GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString();
            Assert.Equal($$"""{"to":"{{Email}}","note":"call {{Phone}}"}""", arguments);
        }
    }

    [Fact]
    public async Task Redact_replaces_values_with_their_type_and_nothing_is_restored()
    {
        _upstream.ReplyText = "Noted <EMAIL>.";

        ChatCompletion answer = await Chat("chat-redact").CompleteChatAsync([new UserChatMessage($"Mine is {Email}, card {Card}.")]);

        Assert.Equal("Mine is <EMAIL>, card <CREDIT_CARD>.", SentText());
        Assert.Equal("Noted <EMAIL>.", answer.Content[0].Text);
    }

    [Fact]
    public async Task Block_refuses_the_request_naming_the_entity_types_but_never_the_values()
    {
        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions",
            Http.Chat("chat-block", $"Pay with {Card} using key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD"), TestConfigs.AliceKey));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var (message, type, code, param) = await Http.ReadErrorAsync(response);
        Assert.Equal("invalid_request_error", type);
        Assert.Equal("guardrail_blocked", code);
        Assert.Equal("messages[0].content", param);
        Assert.Contains("guardrail 'blocker'", message, StringComparison.Ordinal);
        Assert.Contains("CREDIT_CARD, SECRET", message, StringComparison.Ordinal);
        Assert.DoesNotContain("4111", message, StringComparison.Ordinal);
        Assert.Empty(_upstream.Requests);

        var trace = await _gateway.SingleTraceAsync();
        Assert.Equal("guardrail_blocked", trace.ErrorCode);
        Assert.DoesNotContain("4111", trace.RequestBody!, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-proj", trace.RequestBody!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Block_lets_a_clean_request_through()
    {
        ChatCompletion answer = await Chat("chat-block").CompleteChatAsync([new UserChatMessage("Order 2024-000123 shipped at 10:30:45, build 1.2.3.4")]);

        Assert.Equal(_upstream.ReplyText, answer.Content[0].Text);
        Assert.Equal("Order 2024-000123 shipped at 10:30:45, build 1.2.3.4", SentText());
    }

    [Fact]
    public async Task Log_changes_nothing_but_the_trace_records_each_finding_without_its_value()
    {
        _upstream.ReplyText = $"Your address {Email} is on file.";

        ChatCompletion answer = await Chat("chat-log").CompleteChatAsync([new UserChatMessage($"Hi, I am {Email}.")]);

        Assert.Equal($"Hi, I am {Email}.", SentText());
        Assert.Equal($"Your address {Email} is on file.", answer.Content[0].Text);
        var trace = await _gateway.SingleTraceAsync();
        var request = Assert.Single(trace.Spans, s => s.Name == "guardrail.request");
        Assert.Equal("logged", request.Attributes["gateway.guardrail.outcome"]?.ToString());
        Assert.Equal("EMAIL=1", request.Attributes["gateway.guardrail.entities"]?.ToString());
        var finding = JsonDocument.Parse(request.Attributes["gateway.guardrail.findings"]!.ToString()!).RootElement[0];
        Assert.Equal("logger", finding.GetProperty("guardrail").GetString());
        Assert.Equal("EMAIL", finding.GetProperty("entity").GetString());
        Assert.Equal("log", finding.GetProperty("action").GetString());
        Assert.Equal("messages[0].content", finding.GetProperty("location").GetString());
        Assert.Equal(9, finding.GetProperty("start").GetInt32());
        Assert.Equal(Email.Length, finding.GetProperty("length").GetInt32());
        var response = Assert.Single(trace.Spans, s => s.Name == "guardrail.response");
        Assert.Equal("EMAIL=1", response.Attributes["gateway.guardrail.entities"]?.ToString());
        // Nothing the guardrails look for is kept by the trace, even when they only log it.
        foreach (var text in new[] { trace.RequestBody!, trace.ResponseBody!, JsonSerializer.Serialize(trace.Spans) })
        {
            Assert.DoesNotContain(Email, text, StringComparison.Ordinal);
        }

        Assert.Contains("<EMAIL>", trace.RequestBody!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Custom_pattern_from_gateway_yaml_counts_only_with_its_context_words()
    {
        _upstream.ReplyText = "Badge <EMPLOYEE_ID_1> renewed.";

        ChatCompletion answer = await Chat("chat-custom").CompleteChatAsync([new UserChatMessage("Renew the badge of employee E-123456 today, please. Separately, ticket E-654321 is unrelated.")]);

        Assert.Equal("Renew the badge of employee <EMPLOYEE_ID_1> today, please. Separately, ticket E-654321 is unrelated.", SentText());
        Assert.Equal("Badge E-123456 renewed.", answer.Content[0].Text);
    }

    [Fact]
    public async Task A_blocked_answer_is_replaced_with_a_notice_and_content_filter()
    {
        _upstream.ReplyText = $"The card on file is {Card}, expiring soon.";

        ChatCompletion answer = await Chat("chat-answers").CompleteChatAsync([new UserChatMessage("Which card is on file?")]);

        Assert.Equal(OpenAI.Chat.ChatFinishReason.ContentFilter, answer.FinishReason);
        Assert.Equal("[The gateway withheld this answer: guardrail 'answer-block' found CREDIT_CARD.]", answer.Content[0].Text);
        Assert.True(answer.Usage.OutputTokenCount > 0, "the provider's usage still reaches the caller");
    }

    [Fact]
    public async Task A_blocked_stream_ends_with_the_notice_and_never_shows_the_value()
    {
        _upstream.ReplyText = $"The card on file is {Card}, expiring soon.";
        for (var size = 1; size <= 12; size++)
        {
            _upstream.ReplyChunkChars = size;
            using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat-answers", "Which card?", stream: true), TestConfigs.AliceKey));
            var (text, finish, done) = await ReadStreamAsync(response);

            Assert.Equal("content_filter", finish);
            Assert.True(done);
            Assert.DoesNotContain("1111", text, StringComparison.Ordinal);
            Assert.EndsWith("[The gateway withheld this answer: guardrail 'answer-block' found CREDIT_CARD.]", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Sdk_stream_sees_the_notice_and_content_filter_when_an_answer_is_withheld()
    {
        _upstream.ReplyText = $"The card on file is {Card}, expiring soon.";
        _upstream.ReplyChunkChars = 4;
        var text = new StringBuilder();
        OpenAI.Chat.ChatFinishReason? finish = null;

        await foreach (var update in Chat("chat-answers").CompleteChatStreamingAsync([new UserChatMessage("Which card?")]))
        {
            text.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
            finish = update.FinishReason ?? finish;
        }

        Assert.Equal(OpenAI.Chat.ChatFinishReason.ContentFilter, finish);
        Assert.Equal("The card on file is [The gateway withheld this answer: guardrail 'answer-block' found CREDIT_CARD.]", text.ToString());
    }

    [Fact]
    public async Task Completion_prompts_and_embedding_inputs_are_masked()
    {
        _upstream.ReplyText = "Dear <EMAIL_1>,";
        using (var completion = await _gateway.Client.SendAsync(Http.Post("/v1/completions",
            JsonSerializer.Serialize(new { model = "legacy", prompt = new[] { $"Write to {Email}" } }), TestConfigs.AliceKey)))
        {
            Assert.Equal("Write to <EMAIL_1>", SentBody().GetProperty("prompt")[0].GetString());
            var text = JsonDocument.Parse(await completion.Content.ReadAsStringAsync()).RootElement.GetProperty("choices")[0].GetProperty("text").GetString();
            Assert.Equal($"Dear {Email},", text);
        }

        using var embedding = await _gateway.Client.SendAsync(Http.Post("/v1/embeddings",
            JsonSerializer.Serialize(new { model = "embed", input = $"Customer {Email}, card {Card}" }), TestConfigs.AliceKey));
        Assert.Equal(HttpStatusCode.OK, embedding.StatusCode);
        Assert.Equal("Customer <EMAIL_1>, card <CREDIT_CARD_1>", SentBody().GetProperty("input").GetString());
    }

    [Fact]
    public async Task Findings_and_blocks_are_counted_by_guardrail_entity_and_action()
    {
        var meters = _gateway.Services.GetRequiredService<IMeterFactory>();
        using var findings = new MetricCollector<long>(meters, "Gateway.Guardrails", "gateway.guardrail.findings");
        using var blocked = new MetricCollector<long>(meters, "Gateway.Guardrails", "gateway.guardrail.blocked");

        await Chat("chat").CompleteChatAsync([new UserChatMessage($"Mail {Email} or help@corp.example")]);
        using (await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat-block", $"Card {Card}"), TestConfigs.AliceKey)))
        {
        }

        var masked = Assert.Single(findings.GetMeasurementSnapshot(), m => (string?)m.Tags["guardrail"] == "pii");
        Assert.Equal(2, masked.Value);
        Assert.Equal(("EMAIL", "mask", "request"), ((string?)masked.Tags["entity"], (string?)masked.Tags["action"], (string?)masked.Tags["direction"]));
        var block = Assert.Single(blocked.GetMeasurementSnapshot());
        Assert.Equal(("blocker", "request"), ((string?)block.Tags["guardrail"], (string?)block.Tags["direction"]));
    }

    [Fact]
    public async Task An_endpoint_without_guardrails_forwards_the_body_untouched()
    {
        await Chat("chat-open").CompleteChatAsync([new UserChatMessage($"Hi, I am {Email}.")]);

        Assert.Equal($"Hi, I am {Email}.", SentText());
    }

    [Fact]
    public async Task Guardrail_config_reloads_without_a_restart()
    {
        using (var before = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat-log", $"I am {Email}"), TestConfigs.AliceKey)))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var outcome = await _gateway.RewriteConfigAsync(Config(chatLogAction: "block"));
        Assert.True(outcome.Applied, string.Join("\n", outcome.Errors));

        using var after = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat-log", $"I am {Email}"), TestConfigs.AliceKey));
        Assert.Equal(HttpStatusCode.BadRequest, after.StatusCode);
        Assert.Equal("guardrail_blocked", (await Http.ReadErrorAsync(after)).Code);
    }

    /// <summary>The streamed text of choice 0, its finish_reason, and whether [DONE] came.</summary>
    private static async Task<(string Text, string? Finish, bool Done)> ReadStreamAsync(HttpResponseMessage response)
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

    private static async Task<string> ReadToolArgumentsAsync(HttpResponseMessage response)
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
