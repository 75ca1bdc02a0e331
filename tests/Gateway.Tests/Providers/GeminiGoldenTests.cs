using System.Text;
using System.Text.Json.Nodes;
using Gateway.Core.Chat;
using Gateway.Inbound.OpenAi;
using Gateway.Providers.Gemini;
using Gateway.Providers.Translation;
using Gateway.Streaming;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Providers;

/// <summary>
/// Checked-in request and response pairs (Providers/Golden/gemini): what an OpenAI request becomes on
/// Gemini's wire, and what a Gemini answer becomes on OpenAI's. A change in translation shows up as a diff
/// of these files.
/// </summary>
public sealed class GeminiGoldenTests
{
    private static readonly ChatTarget Target = new("google", "gemini", ChatFeatures.Seed | ChatFeatures.Penalties | ChatFeatures.JsonObject | ChatFeatures.JsonSchema);

    private static string Golden(string name) => File.ReadAllText(Repository.File($"tests/Gateway.Tests/Providers/Golden/gemini/{name}"));

    [Theory]
    [InlineData("basic")]
    [InlineData("tools")]
    [InlineData("images")]
    [InlineData("json-schema")]
    public void Openai_request_becomes_the_golden_gemini_request(string name)
    {
        Assert.Null(OpenAiChatReader.TryRead(Encoding.UTF8.GetBytes(Golden($"{name}.openai.json")), Target, out var request));

        Assert.Null(GeminiRequestWriter.TryWrite(request!, out var written));

        AssertSameJson(Golden($"{name}.gemini.json"), Encoding.UTF8.GetString(written.Span));
    }

    [Theory]
    [InlineData("text")]
    [InlineData("function-call")]
    [InlineData("prompt-blocked")]
    public async Task Gemini_response_becomes_the_golden_openai_response(string name)
    {
        var (context, output, writer) = Writer();

        await GeminiResponseTranslator.TranslateAsync(new MemoryStream(Encoding.UTF8.GetBytes(Golden($"{name}.gemini-response.json"))), writer, CancellationToken.None);
        await context.Response.BodyWriter.CompleteAsync();

        AssertSameJson(Golden($"{name}.openai-response.json"), Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public async Task Gemini_stream_becomes_the_golden_openai_stream()
    {
        var (context, output, writer) = Writer();
        var input = new MemoryStream(Encoding.UTF8.GetBytes(Golden("tool-stream.gemini-sse.txt")));

        await GeminiResponseTranslator.RelayStreamAsync(input, writer, "google", CancellationToken.None);
        await context.Response.BodyWriter.CompleteAsync();

        Assert.Equal(Golden("tool-stream.openai-sse.txt"), Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public async Task Gemini_stream_cut_at_every_byte_with_multi_line_data_and_crlf_becomes_the_same_openai_stream()
    {
        var wire = SseWire.Reframed(Golden("tool-stream.gemini-sse.txt"));
        var expected = Golden("tool-stream.openai-sse.txt");

        Assert.Equal(expected, await RelayAsync(ChunkedStream.OneByteAtATime(wire)));
        for (var cut = 1; cut < wire.Length; cut++)
        {
            Assert.Equal(expected, await RelayAsync(new ChunkedStream(wire, cut)));
        }
    }

    private static async Task<string> RelayAsync(Stream input)
    {
        var (context, output, writer) = Writer();
        await GeminiResponseTranslator.RelayStreamAsync(input, writer, "google", CancellationToken.None);
        await context.Response.BodyWriter.CompleteAsync();
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static (DefaultHttpContext Context, MemoryStream Output, OpenAiChatWriter Writer) Writer()
    {
        var context = new DefaultHttpContext();
        var output = new MemoryStream();
        context.Response.Body = output;
        return (context, output, new OpenAiChatWriter(context.Response, new StreamRelay(context.Response.BodyWriter, []), "chatcmpl-golden", "gemini-2.5-flash", 1732000000, includeUsage: true));
    }

    private static void AssertSameJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected:\n{expected}\nactual:\n{actual}");
}
