using System.Text;
using System.Text.Json.Nodes;
using Gateway.Core.Chat;
using Gateway.Inbound.OpenAi;
using Gateway.Providers.Anthropic;
using Gateway.Providers.Translation;
using Gateway.Streaming;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Providers;

/// <summary>
/// Checked-in request and response pairs (Providers/Golden/anthropic): what an OpenAI request becomes on
/// Anthropic's wire, and what an Anthropic answer becomes on OpenAI's. A change in translation shows up as
/// a diff of these files.
/// </summary>
public sealed class AnthropicGoldenTests
{
    private static string Golden(string name) => File.ReadAllText(Repository.File($"tests/Gateway.Tests/Providers/Golden/anthropic/{name}"));

    [Theory]
    [InlineData("basic")]
    [InlineData("tools")]
    [InlineData("images")]
    [InlineData("json-schema")]
    public void Openai_request_becomes_the_golden_anthropic_request(string name)
    {
        var error = OpenAiChatReader.TryRead(Encoding.UTF8.GetBytes(Golden($"{name}.openai.json")), new ChatTarget("claude", "anthropic", AnthropicDialect.SupportedFeatures), out var request);
        Assert.Null(error);

        var written = AnthropicRequestWriter.Write(request!, "claude-sonnet-4-5", AnthropicProviderFactory.DefaultMaxTokens);

        AssertSameJson(Golden($"{name}.anthropic.json"), Encoding.UTF8.GetString(written.Span));
    }

    [Theory]
    [InlineData("text")]
    [InlineData("tool-use")]
    [InlineData("max-tokens")]
    public async Task Anthropic_response_becomes_the_golden_openai_response(string name)
    {
        var context = new DefaultHttpContext();
        using var output = new MemoryStream();
        context.Response.Body = output;
        var writer = new OpenAiChatWriter(context.Response, new StreamRelay(context.Response.BodyWriter, []), "chatcmpl-golden", "claude-sonnet-4-5", 1732000000, includeUsage: true);

        await AnthropicResponseTranslator.TranslateMessageAsync(new MemoryStream(Encoding.UTF8.GetBytes(Golden($"{name}.anthropic-response.json"))), writer, CancellationToken.None);
        await context.Response.BodyWriter.CompleteAsync();

        AssertSameJson(Golden($"{name}.openai-response.json"), Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public async Task Anthropic_stream_becomes_the_golden_openai_stream()
    {
        var context = new DefaultHttpContext();
        using var output = new MemoryStream();
        context.Response.Body = output;
        var writer = new OpenAiChatWriter(context.Response, new StreamRelay(context.Response.BodyWriter, []), "chatcmpl-golden", "claude-sonnet-4-5", 1732000000, includeUsage: true);
        var input = new MemoryStream(Encoding.UTF8.GetBytes(Golden("tool-stream.anthropic-sse.txt")));

        await AnthropicResponseTranslator.RelayStreamAsync(input, writer, "claude", CancellationToken.None);
        await context.Response.BodyWriter.CompleteAsync();

        Assert.Equal(Golden("tool-stream.openai-sse.txt"), Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public async Task Anthropic_stream_cut_at_every_byte_with_multi_line_data_and_crlf_becomes_the_same_openai_stream()
    {
        var wire = SseWire.Reframed(Golden("tool-stream.anthropic-sse.txt"));
        var expected = Golden("tool-stream.openai-sse.txt");

        Assert.Equal(expected, await RelayAsync(ChunkedStream.OneByteAtATime(wire)));
        for (var cut = 1; cut < wire.Length; cut++)
        {
            Assert.Equal(expected, await RelayAsync(new ChunkedStream(wire, cut)));
        }
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("")]
    public async Task A_stream_whose_last_event_lacks_its_blank_line_still_ends_cleanly(string ending)
    {
        // Servers that close right after the last data line (some proxies trim the final blank line).
        var wire = Golden("tool-stream.anthropic-sse.txt").TrimEnd('\n') + ending;

        Assert.Equal(Golden("tool-stream.openai-sse.txt"), await RelayAsync(new MemoryStream(Encoding.UTF8.GetBytes(wire))));
    }

    private static async Task<string> RelayAsync(Stream input)
    {
        var context = new DefaultHttpContext();
        using var output = new MemoryStream();
        context.Response.Body = output;
        var writer = new OpenAiChatWriter(context.Response, new StreamRelay(context.Response.BodyWriter, []), "chatcmpl-golden", "claude-sonnet-4-5", 1732000000, includeUsage: true);
        await AnthropicResponseTranslator.RelayStreamAsync(input, writer, "claude", CancellationToken.None);
        await context.Response.BodyWriter.CompleteAsync();
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static void AssertSameJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected:\n{expected}\nactual:\n{actual}");
}
