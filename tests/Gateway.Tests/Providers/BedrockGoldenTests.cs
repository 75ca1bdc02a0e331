using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime.EventStreams;
using Gateway.Core.Chat;
using Gateway.Inbound.OpenAi;
using Gateway.Providers.Bedrock;
using Gateway.Providers.Translation;
using Gateway.Streaming;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Providers;

/// <summary>
/// Checked-in request and response pairs (Providers/Golden/bedrock): what an OpenAI request becomes on
/// Converse's wire, and what a Converse answer or ConverseStream event stream becomes on OpenAI's. The event
/// stream is kept as JSON events and framed with AWS's own encoder, so the file stays readable.
/// </summary>
public sealed class BedrockGoldenTests
{
    private static string Golden(string name) => File.ReadAllText(Repository.File($"tests/Gateway.Tests/Providers/Golden/bedrock/{name}"));

    [Theory]
    [InlineData("basic")]
    [InlineData("tools")]
    [InlineData("images")]
    public void Openai_request_becomes_the_golden_converse_request(string name)
    {
        Assert.Null(OpenAiChatReader.TryRead(Encoding.UTF8.GetBytes(Golden($"{name}.openai.json")), new ChatTarget("aws", "bedrock", ChatFeatures.None), out var request));

        Assert.Null(ConverseRequestWriter.TryWrite(request!, "aws", out var written));

        AssertSameJson(Golden($"{name}.converse.json"), Encoding.UTF8.GetString(written));
    }

    [Theory]
    [InlineData("text")]
    [InlineData("tool-use")]
    [InlineData("max-tokens")]
    public async Task Converse_response_becomes_the_golden_openai_response(string name)
    {
        var (context, output, writer) = Writer();

        await ConverseResponseTranslator.TranslateAsync(new MemoryStream(Encoding.UTF8.GetBytes(Golden($"{name}.bedrock-response.json"))), writer, CancellationToken.None);
        await context.Response.BodyWriter.CompleteAsync();

        AssertSameJson(Golden($"{name}.openai-response.json"), Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public async Task Converse_event_stream_becomes_the_golden_openai_stream()
    {
        var (context, output, writer) = Writer();

        await ConverseResponseTranslator.RelayStreamAsync(new MemoryStream(EventStream(Golden("tool-stream.bedrock-events.json"))), writer, "aws", CancellationToken.None);
        await context.Response.BodyWriter.CompleteAsync();

        Assert.Equal(Golden("tool-stream.openai-sse.txt"), Encoding.UTF8.GetString(output.ToArray()));
    }

    /// <summary>The events, framed as application/vnd.amazon.eventstream messages by AWSSDK.Core.</summary>
    internal static byte[] EventStream(string eventsJson)
    {
        using var bytes = new MemoryStream();
        foreach (var item in JsonNode.Parse(eventsJson)!.AsArray())
        {
            var headers = new List<IEventStreamHeader>();
            foreach (var (name, value) in new[] { (":event-type", item!["type"]!.GetValue<string>()), (":content-type", "application/json"), (":message-type", "event") })
            {
                var header = new EventStreamHeader(name);
                header.SetString(value);
                headers.Add(header);
            }

            bytes.Write(new EventStreamMessage(headers, Encoding.UTF8.GetBytes(item["payload"]!.ToJsonString())).ToByteArray());
        }

        return bytes.ToArray();
    }

    private static (DefaultHttpContext Context, MemoryStream Output, OpenAiChatWriter Writer) Writer()
    {
        var context = new DefaultHttpContext();
        var output = new MemoryStream();
        context.Response.Body = output;
        return (context, output, new OpenAiChatWriter(context.Response, new StreamRelay(context.Response.BodyWriter, []), "chatcmpl-golden", "anthropic.claude-3-5-sonnet-20240620-v1:0", 1732000000, includeUsage: true));
    }

    private static void AssertSameJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected:\n{expected}\nactual:\n{actual}");
}
