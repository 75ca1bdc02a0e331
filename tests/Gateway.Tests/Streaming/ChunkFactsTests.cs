using System.Text;
using Gateway.Streaming;

namespace Gateway.Tests.Streaming;

/// <summary>The one reading of a relayed chunk that every chunk stage shares.</summary>
public sealed class ChunkFactsTests
{
    private static (ChunkFacts Facts, byte[] Data) Read(string json)
    {
        var data = Encoding.UTF8.GetBytes(json);
        var facts = new ChunkFacts();
        facts.Read(data);
        return (facts, data);
    }

    [Fact]
    public void A_choice_and_a_tool_call_are_numbered_by_their_index_wherever_it_comes_in_the_object()
    {
        var (facts, data) = Read("""{"id":"c1","choices":[{"delta":{"tool_calls":[{"function":{"arguments":"{\"a\""},"index":3}]},"finish_reason":null,"index":2},{"index":0,"text":"hi","finish_reason":"stop"}]}""");

        Assert.Equal(ChunkKind.Json, facts.Kind);
        Assert.Equal(2, facts.Choices);
        Assert.Equal([(ChunkTextKind.ToolArguments, 2, 3, "{\"a\""), (ChunkTextKind.Text, 0, -1, "hi")], facts.Texts.Select(t => (t.Kind, t.Choice, t.Tool, t.Value)));
        Assert.Equal([new ChunkFinish(2, null), new ChunkFinish(0, "stop")], facts.Finishes);
        Assert.Equal("\"{\\\"a\\\"\"", Encoding.UTF8.GetString(facts.Texts[0].Token.Of(data))); // the token as written, escapes and quotes included
        Assert.Equal("\"c1\"", Encoding.UTF8.GetString(facts.Id.Of(data)));
    }

    [Fact]
    public void The_usage_chunk_its_model_and_an_error_code_are_read()
    {
        var (usage, data) = Read("""{"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":3}}""");
        var (error, _) = Read("""{"error":{"message":"Overloaded","type":"upstream_error","code":"upstream_stream_broken"}}""");
        var (typed, _) = Read("""{"error":{"message":"x","type":"overloaded_error"}}""");

        Assert.True(usage.IsUsageOnly);
        Assert.Equal("gpt-4o", usage.Model.ReadString(data));
        Assert.Equal("{\"prompt_tokens\":3}", Encoding.UTF8.GetString(usage.UsageToken.Of(data)));
        Assert.Equal("upstream_stream_broken", error.ErrorCode);
        Assert.Equal("overloaded_error", typed.ErrorCode);
        Assert.False(error.IsUsageOnly);
    }

    [Theory]
    [InlineData("{\"choices\":[{\"delta\":{\"content\":\"cut")]
    [InlineData("{\"choices\":[]} trailing")]
    [InlineData("not json")]
    [InlineData("")]
    public void What_is_not_one_whole_json_object_is_other_and_says_nothing(string data)
    {
        var (facts, _) = Read(data);

        Assert.Equal(ChunkKind.Other, facts.Kind);
        Assert.Empty(facts.Texts);
        Assert.True(facts.UsageToken.IsEmpty);
        Assert.Equal(-1, facts.Choices);
    }

    [Fact]
    public void A_text_that_is_no_string_dotnet_can_hold_leaves_the_chunk_json_but_is_marked_undecodable()
    {
        // Well-formed JSON a JavaScript client reads: not a broken stream, but nothing a guardrail could read either.
        var facts = new ChunkFacts();
        facts.Read([.. "{\"choices\":[{\"index\":0,\"text\":\""u8, 0xFF, 0xFE, .. "\"}]}"u8]);
        var surrogate = new ChunkFacts();
        surrogate.Read("""{"choices":[{"index":0,"delta":{"content":"\ud800"},"finish_reason":"\udfff"}]}"""u8);

        Assert.Equal((ChunkKind.Json, true), (facts.Kind, facts.HasUndecodableText));
        Assert.Empty(facts.Texts);
        Assert.Equal((ChunkKind.Json, true, 1), (surrogate.Kind, surrogate.HasUndecodableText, surrogate.Choices));
        Assert.Equal([new ChunkFinish(0, null)], surrogate.Finishes);
    }

    [Fact]
    public void An_index_that_is_no_integer_leaves_the_position()
    {
        var (facts, _) = Read("""{"choices":[{"index":"first","delta":{"content":"a"}},{"index":1.5,"delta":{"content":"b"}}]}""");

        Assert.Equal([0, 1], facts.Texts.Select(t => t.Choice));
    }

    [Fact]
    public void Done_is_known_and_a_reused_reading_forgets_the_last_chunk()
    {
        var facts = new ChunkFacts();
        facts.Read("""{"choices":[{"index":0,"delta":{"content":"a"}}],"usage":{"prompt_tokens":1}}"""u8);
        facts.Read("[DONE]"u8);

        Assert.Equal(ChunkKind.Done, facts.Kind);
        Assert.Empty(facts.Texts);
        Assert.True(facts.UsageToken.IsEmpty);
    }
}
