using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using OpenAI.Chat;

namespace Gateway.Tests.Guardrails;

/// <summary>
/// The answer side through the real HTTP surface: streamed and whole answers restored and masked wherever the
/// chunks split them, tool-call arguments both ways, and answers withheld with a notice and content_filter.
/// </summary>
public sealed class GuardrailGatewayResponseTests : GuardrailGatewayTest
{
    [Fact]
    public async Task Streamed_answer_is_restored_and_masked_wherever_the_chunks_split_it()
    {
        // The model repeats a placeholder (restored) and writes a card number of its own (masked, not restored).
        const string reply = "Write to <EMAIL_1>; card 5555 5555 5555 4444 is on file.";
        Upstream.ReplyText = reply;
        var expected = $"Write to {Email}; card <CREDIT_CARD_1> is on file.";
        for (var size = 1; size <= reply.Length; size++)
        {
            Upstream.ReplyChunkChars = size;
            using var response = await Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat", $"Mail {Email}", stream: true), TestConfigs.AliceKey));
            var (text, finish, done) = await ReadStreamAsync(response);

            Assert.True(expected == text, $"chunks of {size}: got '{text}'");
            Assert.Equal("stop", finish);
            Assert.True(done, $"chunks of {size}: no [DONE]");
            Assert.Equal("Mail <EMAIL_1>", SentText());
        }
    }

    [Fact]
    public async Task A_providers_keep_alive_comments_reach_the_caller_of_a_guarded_stream()
    {
        Upstream.ReplyText = "Write to <EMAIL_1> soon.";
        Upstream.ReplyChunkChars = 4;
        var before = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var after = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Upstream.Enqueue(new Fault.KeepAliveBetween(before, after));

        using var response = await Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat", $"Mail {Email}", stream: true), TestConfigs.AliceKey), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var body = new StringBuilder();
        string? line;
        // The first chunk has reached the caller, so the gateway is waiting on its next read when the comment
        // comes, alone; the provider then stays silent until the caller has the keep-alive.
        while ((line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))) is not null && line != ":")
        {
            body.Append(line).Append('\n');
            if (line.Length == 0)
            {
                before.TrySetResult();
            }
        }

        after.SetResult();
        body.Append((await reader.ReadToEndAsync()).TrimStart('\n')); // the events after the keep-alive's blank line
        var (text, _, done) = await ReadStreamAsync(new HttpResponseMessage { Content = new StringContent(body.ToString()) });

        Assert.Equal(":", line);
        Assert.Equal($"Write to {Email} soon.", text);
        Assert.True(done);
        Assert.DoesNotContain("OPENROUTER", body.ToString(), StringComparison.Ordinal); // a keep-alive of the gateway's own
    }

    [Fact]
    public async Task Sdk_streaming_gets_the_restored_text()
    {
        Upstream.ReplyText = "Sure, <EMAIL_1> is noted.";
        Upstream.ReplyChunkChars = 3;
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
            Upstream.ToolCalls.Enqueue(("send_mail", """{"to":"<EMAIL_1>","note":"call <PHONE_1>"}"""));
            body["stream"] = stream;

            using var response = await Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", body.ToJsonString(), TestConfigs.AliceKey));

            var sent = SentBody().GetProperty("messages");
            Assert.Equal("""{"email":"<EMAIL_1>"}""", sent[1].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString());
            Assert.Equal("Phone: <PHONE_1>", sent[2].GetProperty("content")[0].GetProperty("text").GetString());
            var arguments = stream ? await ReadToolArgumentsAsync(response) : JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement
                .GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString();
            Assert.Equal($$"""{"to":"{{Email}}","note":"call {{Phone}}"}""", arguments);
        }
    }

    [Fact]
    public async Task A_blocked_answer_is_replaced_with_a_notice_and_content_filter()
    {
        Upstream.ReplyText = $"The card on file is {Card}, expiring soon.";

        ChatCompletion answer = await Chat("chat-answers").CompleteChatAsync([new UserChatMessage("Which card is on file?")]);

        Assert.Equal(OpenAI.Chat.ChatFinishReason.ContentFilter, answer.FinishReason);
        Assert.Equal("[The gateway withheld this answer: guardrail 'answer-block' found CREDIT_CARD.]", answer.Content[0].Text);
        Assert.True(answer.Usage.OutputTokenCount > 0, "the provider's usage still reaches the caller");
    }

    [Fact]
    public async Task A_blocked_stream_ends_with_the_notice_and_never_shows_the_value()
    {
        Upstream.ReplyText = $"The card on file is {Card}, expiring soon.";
        for (var size = 1; size <= 12; size++)
        {
            Upstream.ReplyChunkChars = size;
            using var response = await Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat-answers", "Which card?", stream: true), TestConfigs.AliceKey));
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
        Upstream.ReplyText = $"The card on file is {Card}, expiring soon.";
        Upstream.ReplyChunkChars = 4;
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
}
