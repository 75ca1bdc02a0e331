using System.Text;
using System.Text.Json;
using Gateway.Configuration.Model;
using Gateway.Core;
using Gateway.Guardrails;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Guardrails;

/// <summary>
/// The answer's guard on its own: SSE streams written in every possible split, several choices, tool calls, a
/// finish chunk that carries text, a stream cut short, and what must pass untouched (errors, malformed events,
/// usage chunks).
/// </summary>
public sealed class ResponseGuardTests
{
    private const string Email = "jane.doe@example.com";

    private static GuardrailRun Run(string action = "mask", string direction = "both")
    {
        var guardrails = new EndpointGuardrails([new CompiledGuardrail("pii", new GuardrailConfig { Entities = ["EMAIL", "CREDIT_CARD"], Action = action, Direction = direction })]);
        return new GuardrailRun(guardrails);
    }

    private static string Chunk(int choice, string delta, string? finish = null) =>
        $$"""data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":{{choice}},"delta":{{delta}},"logprobs":null,"finish_reason":{{(finish is null ? "null" : $"\"{finish}\"")}}}]}""" + "\n\n";

    private static string Content(int choice, string text, string? finish = null) => Chunk(choice, JsonSerializer.Serialize(new { content = text }), finish);

    /// <summary>
    /// Runs the answer through a guard in the given pieces and returns what the caller got: a stream through the
    /// relay (each piece one read of the provider's stream), a JSON answer through the guard's stream on the body.
    /// </summary>
    private static async Task<string> GuardAsync(GuardrailRun run, IEnumerable<string> pieces, string contentType = "text/event-stream", int status = 200, EndpointKind kind = EndpointKind.Chat)
    {
        var context = new DefaultHttpContext();
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        var sink = new MemoryStream();
        var guard = new ResponseGuard(sink, context.Response, run, kind);
        if (contentType == "text/event-stream")
        {
            return await RelayRun.RunAsync(pieces, guard);
        }

        foreach (var piece in pieces)
        {
            await guard.WriteAsync(Encoding.UTF8.GetBytes(piece));
        }

        await guard.CompleteAsync(CancellationToken.None);
        return Encoding.UTF8.GetString(sink.ToArray());
    }

    /// <summary>Every choice's content deltas joined, by choice index, and each choice's finish_reason.</summary>
    private static (Dictionary<int, string> Text, Dictionary<int, string> Finish, bool Done) Read(string sse)
    {
        var text = new Dictionary<int, string>();
        var finish = new Dictionary<int, string>();
        var done = false;
        foreach (var line in sse.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)))
        {
            var data = line["data: ".Length..].TrimEnd('\r');
            if (data == "[DONE]")
            {
                done = true;
                continue;
            }

            using var json = TryParse(data);
            if (json is null || !json.RootElement.TryGetProperty("choices", out var choices))
            {
                continue;
            }

            foreach (var choice in choices.EnumerateArray())
            {
                var index = choice.GetProperty("index").GetInt32();
                var delta = choice.GetProperty("delta");
                if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    text[index] = text.GetValueOrDefault(index, "") + content.GetString();
                }

                if (delta.TryGetProperty("tool_calls", out var calls))
                {
                    foreach (var call in calls.EnumerateArray())
                    {
                        var key = 100 + call.GetProperty("index").GetInt32();
                        text[key] = text.GetValueOrDefault(key, "") + call.GetProperty("function").GetProperty("arguments").GetString();
                    }
                }

                if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String)
                {
                    finish[index] = choice.GetProperty("finish_reason").GetString()!;
                }
            }
        }

        return (text, finish, done);
    }

    private static JsonDocument? TryParse(string data)
    {
        try
        {
            return JsonDocument.Parse(data);
        }
        catch (JsonException)
        {
            return null; // a line the stream was cut in
        }
    }

    private static IEnumerable<string[]> EverySplitInTwo(string stream)
    {
        for (var at = 0; at <= stream.Length; at++)
        {
            yield return [stream[..at], stream[at..]];
        }
    }

    [Fact]
    public async Task A_stream_split_at_every_byte_is_restored_and_masked_the_same()
    {
        var run = Run();
        run.Vault.PlaceholderFor("EMAIL", Email);
        var stream = Content(0, "", null) + Content(0, "Mail <EMA") + Content(0, "IL_1> or bob@") + Content(0, "corp.example.org") + Content(0, " today.") + Content(0, "", "stop") + "data: [DONE]\n\n";

        foreach (var pieces in EverySplitInTwo(stream))
        {
            var (text, finish, done) = Read(await GuardAsync(run, pieces));

            Assert.Equal($"Mail {Email} or <EMAIL_2> today.", text[0]);
            Assert.Equal("stop", finish[0]);
            Assert.True(done);
        }
    }

    [Fact]
    public async Task Choices_are_guarded_each_on_its_own()
    {
        var run = Run();
        var stream = Content(0, "a@exa") + Content(1, "Card 4111 1111") + Content(0, "mple.com ok") + Content(1, " 1111 1111 done") + Content(0, "", "stop") + Content(1, "", "length") + "data: [DONE]\n\n";

        var (text, finish, _) = Read(await GuardAsync(run, [stream]));

        Assert.Equal("<EMAIL_1> ok", text[0]);
        Assert.Equal("Card <CREDIT_CARD_1> done", text[1]);
        Assert.Equal("stop", finish[0]);
        Assert.Equal("length", finish[1]);
    }

    [Fact]
    public async Task Tool_call_arguments_are_restored_per_call()
    {
        var run = Run(direction: "request");
        run.Vault.PlaceholderFor("EMAIL", Email);
        static string Arguments(int call, string part) => Chunk(0, JsonSerializer.Serialize(new { tool_calls = new[] { new { index = call, function = new { arguments = part } } } }));
        var stream = Arguments(0, "{\"to\":\"<EM") + Arguments(1, "{\"cc\":\"<EMAIL_") + Arguments(0, "AIL_1>\"}") + Arguments(1, "1>\"}") + Chunk(0, "{}", "tool_calls") + "data: [DONE]\n\n";

        var (text, finish, _) = Read(await GuardAsync(run, [stream]));

        Assert.Equal($"{{\"to\":\"{Email}\"}}", text[100]);
        Assert.Equal($"{{\"cc\":\"{Email}\"}}", text[101]);
        Assert.Equal("tool_calls", finish[0]);
    }

    [Fact]
    public async Task A_finish_chunk_that_carries_text_gets_the_held_text_with_it()
    {
        // Gemini (translated) sends its last text and finishReason in one chunk.
        var run = Run();
        var stream = Content(0, "Write to jane.") + Content(0, "doe@example.com", "stop") + "data: [DONE]\n\n";

        var (text, finish, _) = Read(await GuardAsync(run, [stream]));

        Assert.Equal("Write to <EMAIL_1>", text[0]);
        Assert.Equal("stop", finish[0]);
    }

    [Fact]
    public async Task A_stream_cut_short_still_gets_its_held_text_at_the_end()
    {
        var run = Run();
        run.Vault.PlaceholderFor("EMAIL", Email);

        var (text, _, done) = Read(await GuardAsync(run, [Content(0, "Hello <EMAIL_1"), "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\">\"}"]));

        // The unfinished last event ends the stream with a protocol error; what was held goes out before it.
        Assert.Equal("Hello <EMAIL_1", text[0]);
        Assert.False(done);
    }

    [Fact]
    public async Task Usage_chunks_pass_untouched_and_comments_are_dropped()
    {
        var run = Run();
        const string usage = "data: {\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n";
        var stream = Content(0, "fine", "stop") + usage + "data: [DONE]\n\n";

        var output = await GuardAsync(run, [": keep-alive\n\n" + stream]);

        Assert.Equal(stream, output);
    }

    [Fact]
    public async Task Crlf_line_endings_are_understood()
    {
        var run = Run();
        var stream = Content(0, "to a@example.com").Replace("\n", "\r\n", StringComparison.Ordinal) + "data: [DONE]\r\n\r\n";

        var (text, _, _) = Read(await GuardAsync(run, [stream]));

        Assert.Equal("to <EMAIL_1>", text[0]);
    }

    [Fact]
    public async Task Error_answers_pass_through_untouched()
    {
        const string error = """{"error":{"message":"Bad a@example.com","type":"invalid_request_error","param":null,"code":null}}""";

        var output = await GuardAsync(Run(), [error], "application/json", status: 400);

        Assert.Equal(error, output);
    }

    [Fact]
    public async Task A_json_answer_in_pieces_is_rewritten_whole_and_keeps_its_other_bytes()
    {
        var run = Run();
        run.Vault.PlaceholderFor("EMAIL", Email);
        const string answer = """{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Sent to <EMAIL_1>; card 4111 1111 1111 1111.","refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}""";

        foreach (var pieces in EverySplitInTwo(answer).Where((_, i) => i % 7 == 0))
        {
            var output = await GuardAsync(run, pieces, "application/json");

            Assert.Equal(answer.Replace("<EMAIL_1>", Email, StringComparison.Ordinal).Replace("4111 1111 1111 1111", "<CREDIT_CARD_1>", StringComparison.Ordinal), output);
        }
    }

    [Fact]
    public async Task Completions_streams_are_guarded_on_their_text()
    {
        var run = Run();
        var stream = "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"text\":\"mail a@exa\",\"index\":0,\"finish_reason\":null}]}\n\n"
            + "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"text\":\"mple.com\",\"index\":0,\"finish_reason\":\"stop\"}]}\n\n";

        var output = await GuardAsync(run, [stream], kind: EndpointKind.Completions);

        var texts = output.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[6..]).RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal("mail <EMAIL_1>", string.Concat(texts));
    }

    [Fact]
    public async Task Block_in_a_stream_withholds_the_rest_but_lets_usage_through()
    {
        var run = Run(action: "block", direction: "response");
        const string usage = "data: {\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n";
        var stream = Content(0, "Your card ") + Content(0, "4111 1111 1111 1111") + Content(0, " is fine", "stop") + usage + "data: [DONE]\n\n";

        var output = await GuardAsync(run, [stream]);

        var (text, finish, done) = Read(output);
        Assert.Equal("Your card [The gateway withheld this answer: guardrail 'pii' found CREDIT_CARD.]", text[0]);
        Assert.Equal("content_filter", finish[0]);
        Assert.True(done);
        Assert.Contains(usage, output, StringComparison.Ordinal);
        Assert.DoesNotContain("4111", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunk_whose_text_the_guardrails_cannot_read_is_withheld()
    {
        var run = Run();
        const string unreadable = "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a@example.com \\ud800\"}}]}\n\n";

        var output = await GuardAsync(run, [Content(0, "Hello ") + unreadable + Content(0, "there", "stop") + "data: [DONE]\n\n"]);

        Assert.DoesNotContain("example.com", output, StringComparison.Ordinal);
        Assert.Equal("Hello there", Read(output).Text[0]);
    }

    [Fact]
    public async Task After_a_block_a_chunk_with_choices_but_no_text_is_withheld_too()
    {
        var run = Run(action: "block", direction: "response");
        // No text and no finish_reason: only its choice says it belongs to the answer.
        const string toolStart = """data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"charge"}}]}}]}""" + "\n\n";
        var stream = Content(0, "card 4111 1111 1111 1111 is fine", "stop") + toolStart + "data: [DONE]\n\n";

        var output = await GuardAsync(run, [stream]);

        Assert.DoesNotContain("call_1", output, StringComparison.Ordinal);
        Assert.Equal("content_filter", Read(output).Finish[0]);
    }

    [Fact]
    public async Task A_stream_that_breaks_off_gets_its_held_text_before_the_error_that_ends_it()
    {
        var run = Run();
        run.Vault.PlaceholderFor("EMAIL", Email);
        const string error = "data: {\"error\":{\"message\":\"Provider 'p' ended the stream before it was complete\",\"type\":\"upstream_error\",\"code\":\"upstream_stream_interrupted\"}}\n\n";

        var output = await GuardAsync(run, [Content(0, "Hello <EMAIL_1"), error]);

        Assert.EndsWith(error, output, StringComparison.Ordinal);
        Assert.Equal("Hello <EMAIL_1", Read(output).Text[0]);
    }

    [Fact]
    public async Task Values_restored_into_tool_arguments_are_escaped_so_the_arguments_stay_json()
    {
        const string value = "say \"hi\"\nthen \\ leave";
        var run = Run(direction: "request");
        run.Vault.PlaceholderFor("NOTE", value);
        var answer = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"note\\\":\\\"<NOTE_1>\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}]}";
        static string Arguments(int call, string part) => Chunk(0, JsonSerializer.Serialize(new { tool_calls = new[] { new { index = call, function = new { arguments = part } } } }));
        var stream = Arguments(0, "{\"note\":\"<NO") + Arguments(0, "TE_1>\"}") + Chunk(0, "{}", "tool_calls") + "data: [DONE]\n\n";

        var json = JsonDocument.Parse(await GuardAsync(run, [answer], "application/json")).RootElement;
        var (streamed, _, _) = Read(await GuardAsync(run, [stream]));

        var arguments = json.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString()!;
        Assert.Equal(value, JsonDocument.Parse(arguments).RootElement.GetProperty("note").GetString());
        Assert.Equal(value, JsonDocument.Parse(streamed[100]).RootElement.GetProperty("note").GetString());
    }

    [Fact]
    public void With_restore_false_placeholders_are_handed_out_but_never_put_back()
    {
        var run = new GuardrailRun(new EndpointGuardrails([new CompiledGuardrail("pii", new GuardrailConfig { Entities = ["EMAIL"], Action = "mask", Direction = "request", Restore = false })]));
        var findings = new List<Gateway.Guardrails.Detection.PiiFinding>();
        run.Guardrails.Detect($"I am {Email}", GuardrailDirection.Request, findings);

        var masked = run.Apply($"I am {Email}", findings, GuardrailDirection.Request, "messages[0].content");

        Assert.Equal("I am <EMAIL_1>", masked);
        Assert.False(run.WatchesResponse); // nothing to restore, no response guardrails: the answer is not even watched
        Assert.Equal("Hi <EMAIL_1>", Gateway.Guardrails.Masking.PiiMasking.Restore("Hi <EMAIL_1>", run.Vault));
    }
}
