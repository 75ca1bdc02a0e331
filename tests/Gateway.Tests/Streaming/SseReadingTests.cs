using System.Text;
using Gateway.Streaming;

namespace Gateway.Tests.Streaming;

/// <summary>How the gateway reads a provider's event stream.</summary>
public sealed class SseReadingTests
{
    private static async Task<List<(string Type, string Data)>> ReadAsync(string wire)
    {
        var items = new List<(string, string)>();
        await foreach (var item in SseReading.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(wire)), CancellationToken.None))
        {
            items.Add((item.EventType, item.Data));
        }

        return items;
    }

    [Fact]
    public async Task A_last_event_the_body_ends_in_before_its_blank_line_is_still_read()
    {
        var items = await ReadAsync("event: message_delta\ndata: {\"a\":1}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}");

        Assert.Equal([("message_delta", "{\"a\":1}"), ("message_stop", "{\"type\":\"message_stop\"}")], items);
    }

    [Fact]
    public async Task Multi_line_data_is_joined_and_CRLF_and_comments_are_taken()
    {
        var items = await ReadAsync(": keep-alive\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\n");

        Assert.Equal([("message", "{\"a\":\n1}")], items);
    }
}
