using System.Text;
using Gateway.Configuration.Model;
using Gateway.Core;
using Gateway.Guardrails;
using Gateway.Guardrails.Json;
using Gateway.Inbound.OpenAi;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Guardrails;

/// <summary>The request side: which texts of a body are guarded, and that only those string tokens change.</summary>
public sealed class RequestGuardTests
{
    private static GuardrailRun Run(string action = "mask", params CustomPatternConfig[] patterns) =>
        new(new EndpointGuardrails([new CompiledGuardrail("pii", new GuardrailConfig { Entities = ["EMAIL", "PHONE", "CREDIT_CARD"], Action = action, Patterns = patterns })]));

    private static async Task<(string Body, bool Changed)> GuardAsync(string json, EndpointKind kind, GuardrailRun run)
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(json));
        var (body, _) = await RequestBody.ReadAsync(context.Request, 1 << 20, CancellationToken.None);
        using (body)
        using (var texts = new PromptTexts())
        {
            Assert.Null(OpenAiRequestReader.TryRead(body!.Span, kind, out _, texts));
            var changed = RequestGuard.Apply(body!, texts, run);
            return (Encoding.UTF8.GetString(body!.Span), changed);
        }
    }

    [Fact]
    public async Task Only_the_masked_string_tokens_change_every_other_byte_stays()
    {
        const string json = """
            { "model" : "chat",  "temperature":0.50,
              "tools":[{"type":"function","function":{"name":"f","description":"mail a@example.com","parameters":{}}}],
              "messages":[ {"role":"user","content":"caf\u00e9 \"me\" at a@example.com"} ], "x_vendor": {"note":"b@example.com"} }
            """;

        var (body, changed) = await GuardAsync(json, EndpointKind.Chat, Run());

        Assert.True(changed);
        Assert.Equal(json.Replace("""caf\u00e9 \"me\" at a@example.com""", """café \"me\" at <EMAIL_1>""", StringComparison.Ordinal), body);
    }

    [Fact]
    public async Task Escaped_json_is_read_as_the_text_it_stands_for()
    {
        // \u0040 is '@': a caller cannot slip an address past the guard by escaping it.
        var (body, _) = await GuardAsync("""{"model":"chat","messages":[{"role":"user","content":"write to a\u0040example.com"}]}""", EndpointKind.Chat, Run());

        Assert.Equal("""{"model":"chat","messages":[{"role":"user","content":"write to <EMAIL_1>"}]}""", body);
    }

    [Fact]
    public async Task Text_parts_are_guarded_and_image_parts_left_alone()
    {
        const string json = """{"model":"chat","messages":[{"role":"user","content":[{"type":"text","text":"a@example.com"},{"type":"image_url","image_url":{"url":"https://b@example.com/x.png"}}]}]}""";

        var (body, _) = await GuardAsync(json, EndpointKind.Chat, Run());

        Assert.Equal(json.Replace("\"text\":\"a@example.com\"", "\"text\":\"<EMAIL_1>\"", StringComparison.Ordinal), body);
    }

    [Fact]
    public async Task Completion_token_arrays_carry_no_text_and_pass()
    {
        const string json = """{"model":"legacy","prompt":[[1,2,3],"mail a@example.com"]}""";

        var (body, _) = await GuardAsync(json, EndpointKind.Completions, Run());

        Assert.Equal("""{"model":"legacy","prompt":[[1,2,3],"mail <EMAIL_1>"]}""", body);
    }

    [Fact]
    public async Task A_clean_body_is_not_rewritten()
    {
        var (body, changed) = await GuardAsync("""{"model":"chat","messages":[{"role":"user","content":"Order 2024-000123 at 10:30:45"}]}""", EndpointKind.Chat, Run());

        Assert.False(changed);
        Assert.Equal("""{"model":"chat","messages":[{"role":"user","content":"Order 2024-000123 at 10:30:45"}]}""", body);
    }

    [Fact]
    public async Task Block_leaves_the_body_and_names_the_first_place_and_every_type()
    {
        var run = Run("block");

        var (body, changed) = await GuardAsync("""{"model":"chat","messages":[{"role":"system","content":"ok"},{"role":"user","content":"a@example.com, 4111 1111 1111 1111"}]}""", EndpointKind.Chat, run);

        Assert.False(changed);
        Assert.Contains("a@example.com", body, StringComparison.Ordinal);
        Assert.True(run.Blocked(GuardrailDirection.Request));
        Assert.Equal(["EMAIL", "CREDIT_CARD"], run.BlockedEntities(GuardrailDirection.Request));
        Assert.Equal("messages[1].content", run.BlockedAt);
    }

    [Fact]
    public void Paths_name_locations_by_position_or_by_an_index_property()
    {
        var paths = new JsonFieldPaths("choices[].delta.content", "choices[].delta.tool_calls[].function.arguments");
        var found = new List<JsonField>();

        paths.Find("""{"choices":[{"index":3,"delta":{"content":"hi","tool_calls":[{"index":2,"function":{"arguments":"{}"}}]}}],"skipped":{"choices":1}}"""u8, found);

        Assert.Equal(["choices[3].delta.content", "choices[3].delta.tool_calls[2].function.arguments"], found.Select(f => f.Location));
        Assert.Equal([(3, -1), (3, 2)], found.Select(f => (f.Index0, f.Index1)));
        Assert.Equal(["hi", "{}"], found.Select(f => f.Value));
    }

    [Fact]
    public void Where_two_guardrails_find_the_same_text_the_stronger_action_wins()
    {
        var guardrails = new EndpointGuardrails([
            new CompiledGuardrail("audit", new GuardrailConfig { Entities = ["EMAIL", "CREDIT_CARD"], Action = "log" }),
            new CompiledGuardrail("pii", new GuardrailConfig { Entities = ["EMAIL"], Action = "mask" }),
            new CompiledGuardrail("cards", new GuardrailConfig { Entities = ["CREDIT_CARD"], Action = "block", Direction = "response" }),
        ]);
        var findings = new List<Gateway.Guardrails.Detection.PiiFinding>();

        guardrails.Detect("a@example.com pays with 4111 1111 1111 1111", GuardrailDirection.Request, findings);
        Assert.Equal([("EMAIL", "pii"), ("CREDIT_CARD", "audit")], findings.Select(f => (f.Entity, guardrails.All[f.Guardrail].Name)));

        findings.Clear();
        guardrails.Detect("a@example.com pays with 4111 1111 1111 1111", GuardrailDirection.Response, findings);
        Assert.Equal([("EMAIL", "pii"), ("CREDIT_CARD", "cards")], findings.Select(f => (f.Entity, guardrails.All[f.Guardrail].Name)));
        Assert.Equal("<EMAIL> pays with <CREDIT_CARD>", guardrails.Redact("a@example.com pays with 4111 1111 1111 1111"));
    }
}
