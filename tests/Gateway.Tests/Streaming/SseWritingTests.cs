using System.Buffers;
using System.Net.ServerSentEvents;
using System.Text;
using Gateway.Errors;
using Gateway.Streaming;

namespace Gateway.Tests.Streaming;

/// <summary>The one SSE framing the gateway writes with, read back by the SSE parser clients use.</summary>
public sealed class SseWritingTests
{
    private static async Task<List<SseItem<string>>> ParseAsync(ReadOnlyMemory<byte> written)
    {
        var items = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(new MemoryStream(written.ToArray())).EnumerateAsync())
        {
            items.Add(item);
        }

        return items;
    }

    [Theory]
    [InlineData("{\"a\":1}")]
    [InlineData("")]
    [InlineData("line one\nline two")]
    [InlineData("ends with a break\n")]
    [InlineData("\n\nstarts with two")]
    [InlineData("a lone\rcarriage return")]
    public async Task An_event_reads_back_as_the_data_it_was_given(string data)
    {
        var output = new ArrayBufferWriter<byte>();

        SseWriting.WriteEvent(output, Encoding.UTF8.GetBytes(data));

        var item = Assert.Single(await ParseAsync(output.WrittenMemory));
        Assert.Equal(data.Replace('\r', '\n'), item.Data);
        Assert.Equal("message", item.EventType);
    }

    [Fact]
    public async Task A_CRLF_inside_the_data_is_one_line_break_not_two()
    {
        var output = new ArrayBufferWriter<byte>();

        SseWriting.WriteEvent(output, "first\r\nsecond"u8);

        Assert.Equal("data: first\ndata: second\n\n", Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal("first\nsecond", Assert.Single(await ParseAsync(output.WrittenMemory)).Data);
    }

    [Fact]
    public async Task A_named_event_keeps_its_type_and_message_is_left_unnamed()
    {
        var output = new ArrayBufferWriter<byte>();

        SseWriting.WriteEvent(output, "{}"u8, "content_block_delta");
        SseWriting.WriteEvent(output, "{}"u8, "message");

        Assert.StartsWith("event: content_block_delta\ndata: {}\n\ndata: {}\n\n", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
        Assert.Equal(["content_block_delta", "message"], (await ParseAsync(output.WrittenMemory)).Select(i => i.EventType));
    }

    [Fact]
    public async Task A_json_event_with_line_breaks_in_its_strings_stays_one_data_line()
    {
        var output = new ArrayBufferWriter<byte>();

        SseWriting.WriteJsonEvent(output, "two\nlines\r\n", static (json, text) =>
        {
            json.WriteStartObject();
            json.WriteString("content", text);
            json.WriteEndObject();
        });

        Assert.Equal("data: {\"content\":\"two\\nlines\\r\\n\"}\n\n", Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal("{\"content\":\"two\\nlines\\r\\n\"}", Assert.Single(await ParseAsync(output.WrittenMemory)).Data);
    }

    [Fact]
    public async Task Done_and_error_events_are_what_OpenAI_clients_read()
    {
        var output = new ArrayBufferWriter<byte>();

        SseWriting.WriteErrorEvent(output, GatewayErrors.StreamBrokenOff("openai", "connection reset"));
        SseWriting.WriteEvent(output, "[DONE]"u8);

        var items = await ParseAsync(output.WrittenMemory);
        Assert.Equal(2, items.Count);
        Assert.Contains("\"error\":{", items[0].Data, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"upstream_stream_interrupted\"", items[0].Data, StringComparison.Ordinal);
        Assert.Equal("[DONE]", items[1].Data);
    }
}
