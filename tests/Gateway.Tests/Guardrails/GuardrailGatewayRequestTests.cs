using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Support;
using OpenAI.Chat;

namespace Gateway.Tests.Guardrails;

/// <summary>
/// The request side through the real HTTP surface: what the provider received (masked, redacted, or nothing at
/// all) for chat, completions and embeddings, what the caller got back, and the trace's record of the findings.
/// </summary>
public sealed class GuardrailGatewayRequestTests : GuardrailGatewayTest
{
    [Fact]
    public async Task Mask_keeps_values_from_the_provider_and_restores_them_for_the_caller()
    {
        Upstream.ReplyText = "I wrote to <EMAIL_1> and will call <PHONE_1> about <CREDIT_CARD_1>.";

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
    public async Task Redact_replaces_values_with_their_type_and_nothing_is_restored()
    {
        Upstream.ReplyText = "Noted <EMAIL>.";

        ChatCompletion answer = await Chat("chat-redact").CompleteChatAsync([new UserChatMessage($"Mine is {Email}, card {Card}.")]);

        Assert.Equal("Mine is <EMAIL>, card <CREDIT_CARD>.", SentText());
        Assert.Equal("Noted <EMAIL>.", answer.Content[0].Text);
    }

    [Fact]
    public async Task Block_refuses_the_request_naming_the_entity_types_but_never_the_values()
    {
        using var response = await Gateway.Client.SendAsync(Http.Post("/v1/chat/completions",
            Http.Chat("chat-block", $"Pay with {Card} using key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD"), TestConfigs.AliceKey));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var (message, type, code, param) = await Http.ReadErrorAsync(response);
        Assert.Equal("invalid_request_error", type);
        Assert.Equal("guardrail_blocked", code);
        Assert.Equal("messages[0].content", param);
        Assert.Contains("guardrail 'blocker'", message, StringComparison.Ordinal);
        Assert.Contains("CREDIT_CARD, SECRET", message, StringComparison.Ordinal);
        Assert.DoesNotContain("4111", message, StringComparison.Ordinal);
        Assert.Empty(Upstream.Requests);

        var trace = await Gateway.SingleTraceAsync();
        Assert.Equal("guardrail_blocked", trace.ErrorCode);
        Assert.DoesNotContain("4111", trace.RequestBody!, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-proj", trace.RequestBody!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Block_lets_a_clean_request_through()
    {
        ChatCompletion answer = await Chat("chat-block").CompleteChatAsync([new UserChatMessage("Order 2024-000123 shipped at 10:30:45, build 1.2.3.4")]);

        Assert.Equal(Upstream.ReplyText, answer.Content[0].Text);
        Assert.Equal("Order 2024-000123 shipped at 10:30:45, build 1.2.3.4", SentText());
    }

    [Fact]
    public async Task Log_changes_nothing_but_the_trace_records_each_finding_without_its_value()
    {
        Upstream.ReplyText = $"Your address {Email} is on file.";

        ChatCompletion answer = await Chat("chat-log").CompleteChatAsync([new UserChatMessage($"Hi, I am {Email}.")]);

        Assert.Equal($"Hi, I am {Email}.", SentText());
        Assert.Equal($"Your address {Email} is on file.", answer.Content[0].Text);
        var trace = await Gateway.SingleTraceAsync();
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
        Upstream.ReplyText = "Badge <EMPLOYEE_ID_1> renewed.";

        ChatCompletion answer = await Chat("chat-custom").CompleteChatAsync([new UserChatMessage("Renew the badge of employee E-123456 today, please. Separately, ticket E-654321 is unrelated.")]);

        Assert.Equal("Renew the badge of employee <EMPLOYEE_ID_1> today, please. Separately, ticket E-654321 is unrelated.", SentText());
        Assert.Equal("Badge E-123456 renewed.", answer.Content[0].Text);
    }

    [Fact]
    public async Task Completion_prompts_and_embedding_inputs_are_masked()
    {
        Upstream.ReplyText = "Dear <EMAIL_1>,";
        using (var completion = await Gateway.Client.SendAsync(Http.Post("/v1/completions",
            JsonSerializer.Serialize(new { model = "legacy", prompt = new[] { $"Write to {Email}" } }), TestConfigs.AliceKey)))
        {
            Assert.Equal("Write to <EMAIL_1>", SentBody().GetProperty("prompt")[0].GetString());
            var text = JsonDocument.Parse(await completion.Content.ReadAsStringAsync()).RootElement.GetProperty("choices")[0].GetProperty("text").GetString();
            Assert.Equal($"Dear {Email},", text);
        }

        using var embedding = await Gateway.Client.SendAsync(Http.Post("/v1/embeddings",
            JsonSerializer.Serialize(new { model = "embed", input = $"Customer {Email}, card {Card}" }), TestConfigs.AliceKey));
        Assert.Equal(HttpStatusCode.OK, embedding.StatusCode);
        Assert.Equal("Customer <EMAIL_1>, card <CREDIT_CARD_1>", SentBody().GetProperty("input").GetString());
    }

    [Fact]
    public async Task An_endpoint_without_guardrails_forwards_the_body_untouched()
    {
        await Chat("chat-open").CompleteChatAsync([new UserChatMessage($"Hi, I am {Email}.")]);

        Assert.Equal($"Hi, I am {Email}.", SentText());
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("chat-open")]
    public async Task Text_that_is_not_utf8_is_a_400_naming_the_field_and_reaches_no_provider(string endpoint)
    {
        // An address split by a byte that is no character: a detector reading raw bytes could miss it, a provider could
        // decode it its own way. The gateway refuses it, as OpenAI does, on an endpoint without guardrails too, since
        // this config guards some endpoint and so every prompt is decoded (a config with no guardrail and no token limit
        // decodes nothing: issue 19).
        byte[] body = [.. Encoding.UTF8.GetBytes($$"""{"model":"{{endpoint}}","messages":[{"role":"user","content":"ok"},{"role":"user","content":"jane"""), 0xFF, .. "@example.com\"}]}"u8];
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Authorization = new("Bearer", TestConfigs.AliceKey);

        var response = await Gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var (message, _, _, param) = await Http.ReadErrorAsync(response);
        Assert.Equal("messages[1].content", param);
        Assert.Contains("not UTF-8", message, StringComparison.Ordinal);
        Assert.Empty(Upstream.Requests);
    }
}
