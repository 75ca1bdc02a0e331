using System.Text;
using Gateway.Core;
using Gateway.Inbound.OpenAi;
using Gateway.Providers.OpenAi;

namespace Gateway.Tests.Inbound.OpenAi;

public sealed class OpenAiRequestReaderTests
{
    private static ParsedRequest Read(string json, EndpointKind kind = EndpointKind.Chat)
    {
        var error = OpenAiRequestReader.TryRead(Encoding.UTF8.GetBytes(json), kind, out var parsed);
        Assert.Null(error);
        return parsed;
    }

    private static string Splice(string json, string newModelToken)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        OpenAiRequestReader.TryRead(bytes, EndpointKind.Chat, out var parsed);
        using var stream = new SplicedBodyStream(bytes, parsed.ModelTokenStart, parsed.ModelTokenLength, Encoding.UTF8.GetBytes(newModelToken));
        using var reader = new StreamReader(stream);
        var result = reader.ReadToEnd();
        Assert.Equal(Encoding.UTF8.GetByteCount(result), stream.Length);
        return result;
    }

    [Fact]
    public void Finds_model_stream_and_include_usage_in_one_pass()
    {
        var parsed = Read("""{"messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true},"model":"chat"}""");

        Assert.Equal("chat", parsed.Model);
        Assert.True(parsed.Stream);
        Assert.True(parsed.IncludeUsage);
    }

    [Theory]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"x"}]}""", null)]
    [InlineData("""{"model":"chat","max_tokens":300,"messages":[{"role":"user","content":"x"}]}""", 300L)]
    [InlineData("""{"model":"chat","max_completion_tokens":500,"n":3,"messages":[{"role":"user","content":"x"}]}""", 1500L)]
    [InlineData("""{"model":"chat","max_tokens":"lots","messages":[{"role":"user","content":"x"}]}""", null)]
    [InlineData("""{"model":"chat","max_tokens":-5,"n":2,"messages":[{"role":"user","content":"x"}]}""", null)]
    public void Finds_the_most_output_the_answer_may_have_for_rate_limits(string json, long? expected) =>
        Assert.Equal(expected, Read(json).MaxOutputTokens);

    [Fact]
    public void Model_inside_nested_objects_is_not_taken_for_the_top_level_one()
    {
        var parsed = Read("""{"metadata":{"model":"decoy"},"tools":[{"model":"decoy2"}],"model":"real","messages":[{"role":"user","content":"x"}]}""");

        Assert.Equal("real", parsed.Model);
    }

    [Fact]
    public void Splicing_replaces_only_the_model_value_and_keeps_every_other_byte()
    {
        const string body = "{ \"model\" : \"chat\",\n  \"messages\": [{\"role\":\"user\",\"content\":\"say \\\"model\\\": \\\"chat\\\"\"}] }";

        Assert.Equal(body.Replace("\"chat\",", "\"gpt-4o-mini\",", StringComparison.Ordinal), Splice(body, "\"gpt-4o-mini\""));
    }

    [Fact]
    public void Splicing_handles_an_escaped_model_name()
    {
        var spliced = Splice("""{"model":"c\u0068at","messages":[{"role":"user","content":"x"}]}""", "\"target\"");

        Assert.Equal("""{"model":"target","messages":[{"role":"user","content":"x"}]}""", spliced);
    }

    [Theory]
    [InlineData("completions", """{"model":"m","prompt":["a","b"]}""")]
    [InlineData("embeddings", """{"model":"m","input":[[1,2,3]]}""")]
    [InlineData("embeddings", """{"model":"m","input":"text"}""")]
    public void Accepts_each_operations_payload_shapes(string kind, string json)
    {
        Assert.Equal("m", Read(json, EndpointKinds.Parse(kind)).Model);
    }

    [Fact]
    public void Trailing_garbage_after_the_object_is_rejected()
    {
        var error = OpenAiRequestReader.TryRead("""{"model":"m","messages":[{"role":"user"}]} {}"""u8, EndpointKind.Chat, out _);

        Assert.Equal("invalid_json", error?.Code);
    }
}
