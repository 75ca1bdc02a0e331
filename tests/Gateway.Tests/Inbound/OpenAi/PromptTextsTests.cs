using System.Text;
using Gateway.Core;
using Gateway.Inbound.OpenAi;

namespace Gateway.Tests.Inbound.OpenAi;

/// <summary>
/// The prompt's texts as the reader's one pass decodes them: every string of the payload, tagged with the field it
/// is (what guardrails scan) and where (what the trace names), images left out, and bad text a 400 naming the field.
/// </summary>
public sealed class PromptTextsTests
{
    private static (PromptTexts Texts, byte[] Body) Read(string json, EndpointKind kind = EndpointKind.Chat)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var texts = new PromptTexts();
        Assert.Null(OpenAiRequestReader.TryRead(body, kind, out _, texts));
        return (texts, body);
    }

    private static string[] Guarded(PromptTexts texts)
    {
        var found = new List<string>();
        foreach (var text in texts.Items)
        {
            if (text.Guarded)
            {
                found.Add($"{text.Location}={texts.String(text)}");
            }
        }

        return [.. found];
    }

    [Fact]
    public void Chat_texts_are_found_where_guardrails_look_and_named_as_the_trace_names_them()
    {
        const string json = """
            {"model":"chat","messages":[
              {"role":"system","content":"be brief"},
              {"role":"user","content":[{"type":"text","text":"caf\u00e9 \"x\""},{"type":"image_url","image_url":{"url":"https://a/b.png"}},{"type":"text","text":"two"}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
              {"role":"assistant","function_call":{"name":"g","arguments":"{}"}},
              {"role":"tool","tool_call_id":"call_1","content":"sunny"}],
             "tools":[{"type":"function","function":{"name":"f","description":"not prompt text"}}]}
            """;

        var (texts, _) = Read(json);
        using (texts)
        {
            Assert.Equal(
                [
                    "messages[0].content=be brief",
                    "messages[1].content[0].text=café \"x\"",
                    "messages[1].content[2].text=two",
                    "messages[2].tool_calls[0].function.arguments={\"a\":1}",
                    "messages[3].function_call.arguments={}",
                    "messages[4].content=sunny",
                ],
                Guarded(texts));
            Assert.Equal(5, texts.Messages);
            Assert.True(texts.IsChat);
            // Roles, ids, names and part types are prompt tokens too; the image's URL and the tools' schema are not.
            var all = texts.Items.ToArray().Select(t => texts.String(t)).ToArray();
            Assert.Contains("call_1", all);
            Assert.Contains("image_url", all);
            Assert.DoesNotContain("https://a/b.png", all);
            Assert.DoesNotContain("not prompt text", all);
        }
    }

    [Fact]
    public void Each_text_points_at_its_own_token_in_the_body()
    {
        var (texts, body) = Read("""{"messages":[{"role":"user","content":"a\nb"}],"model":"chat"}""");
        using (texts)
        {
            var content = texts.Items.ToArray().Single(t => t.Field == PromptField.Content);

            Assert.Equal("\"a\\nb\"", Encoding.UTF8.GetString(body, content.TokenStart, content.TokenLength));
            Assert.Equal("a\nb", texts.String(content));
        }
    }

    [Theory]
    [InlineData("completions", """{"model":"m","prompt":"once"}""", new[] { "prompt=once" }, 0)]
    [InlineData("completions", """{"model":"m","prompt":["a","b",[1,2]]}""", new[] { "prompt[0]=a", "prompt[1]=b" }, 2)]
    [InlineData("embeddings", """{"model":"m","input":[[1,2,3],[4]]}""", new string[0], 4)]
    [InlineData("embeddings", """{"model":"m","input":"text"}""", new[] { "input=text" }, 0)]
    public void Prompts_and_inputs_are_texts_and_token_ids_are_counted(string kind, string json, string[] guarded, int numbers)
    {
        var (texts, _) = Read(json, EndpointKinds.Parse(kind));
        using (texts)
        {
            Assert.Equal(guarded, Guarded(texts));
            Assert.Equal(numbers, texts.Numbers);
            Assert.False(texts.IsChat);
        }
    }

    [Fact]
    public void A_large_prompt_grows_the_arena_and_keeps_every_text()
    {
        var turns = Enumerable.Range(0, 400).Select(i => $$"""{"role":"user","content":"turn {{i}} {{new string('x', 300)}}"}""");
        var (texts, _) = Read($$"""{"model":"chat","messages":[{{string.Join(',', turns)}}]}""");
        using (texts)
        {
            Assert.Equal(800, texts.Count);
            Assert.Equal("turn 399 " + new string('x', 300), texts.String(texts.Items[^1]));
        }
    }

    public static TheoryData<byte[], string> UndecodableTexts() => new()
    {
        { [0xFF, 0xFE], "messages[0].content" },
        { [0xC0, 0xAF], "messages[0].content" }, // an overlong '/'
        { [0x80], "messages[0].content" }, // a continuation byte alone
        { [0xE2, 0x82], "messages[0].content" }, // a 3-byte sequence cut short
        { [0xED, 0xA0, 0x80], "messages[0].content" }, // a surrogate encoded as UTF-8
        { "\\ud800"u8.ToArray(), "messages[0].content" }, // an escaped high surrogate without its low half
        { "\\udc00x"u8.ToArray(), "messages[0].content" },
    };

    [Theory]
    [MemberData(nameof(UndecodableTexts))]
    public void Text_that_is_not_utf8_or_a_lone_surrogate_is_a_400_naming_the_field(byte[] bad, string field)
    {
        byte[] body = [.. """{"model":"chat","messages":[{"role":"user","content":"ok """u8, .. bad, .. "\"}]}"u8];
        using var texts = new PromptTexts();

        var error = OpenAiRequestReader.TryRead(body, EndpointKind.Chat, out _, texts);

        Assert.Equal(400, error?.Status);
        Assert.Equal(field, error?.Param);
        Assert.Contains("not UTF-8", error?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_name_that_is_not_utf8_is_a_400_not_a_crash()
    {
        byte[] body = [.. """{"model":"ch"""u8, 0xFF, .. """at","messages":[{"role":"user","content":"x"}]}"""u8];

        var error = OpenAiRequestReader.TryRead(body, EndpointKind.Chat, out _);

        Assert.Equal(400, error?.Status);
        Assert.Equal("model", error?.Param);
        Assert.Contains("not UTF-8", error?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_payloads_are_refused_so_guardrails_and_provider_read_the_same_one()
    {
        var error = OpenAiRequestReader.TryRead("""{"model":"chat","messages":[{"role":"user","content":"a"}],"messages":[{"role":"user","content":"b"}]}"""u8, EndpointKind.Chat, out _);

        Assert.Equal("messages", error?.Param);
        Assert.Contains("more than once", error?.Message, StringComparison.Ordinal);
    }
}
