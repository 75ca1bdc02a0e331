using System.Buffers;
using System.Text;
using System.Text.Json;
using Gateway.Errors;

namespace Gateway.Streaming;

/// <summary>
/// The one way the gateway frames a server-sent event it writes: the chunks of a translated or mock answer, the
/// chunks the response guard adds or rewrites, and the error event that ends a broken stream. A payload that
/// holds line breaks goes out as several <c>data:</c> lines, which an SSE parser joins back with "\n" (so a
/// CRLF inside a payload reaches the client as LF: SSE has no way to carry it). JSON the gateway writes itself
/// is compact and escapes control characters, so it is always one line.
/// </summary>
internal static class SseWriting
{
    /// <summary>One event whose data is <paramref name="data"/>; an event type other than "message" is named.</summary>
    public static void WriteEvent(IBufferWriter<byte> output, ReadOnlySpan<byte> data, string? eventType = null)
    {
        if (eventType is { Length: > 0 } and not "message")
        {
            output.Write("event: "u8);
            Encoding.UTF8.GetBytes(eventType.AsSpan(), output);
            output.Write("\n"u8);
        }

        WriteDataLines(output, data);
        output.Write("\n"u8);
    }

    /// <summary>The data lines of an event, without the blank line that ends it.</summary>
    private static void WriteDataLines(IBufferWriter<byte> output, ReadOnlySpan<byte> data)
    {
        while (true)
        {
            output.Write("data: "u8);
            var end = data.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                output.Write(data);
                output.Write("\n"u8);
                return;
            }

            output.Write(data[..end]);
            output.Write("\n"u8);
            // CRLF is one line break; a lone CR or LF is one too.
            data = data[(data[end] == (byte)'\r' && end + 1 < data.Length && data[end + 1] == (byte)'\n' ? end + 2 : end + 1)..];
        }
    }

    /// <summary>One event of compact JSON, written straight into <paramref name="output"/> with no copy.</summary>
    public static void WriteJsonEvent<TState>(IBufferWriter<byte> output, TState state, Action<Utf8JsonWriter, TState> write)
    {
        output.Write("data: "u8);
        using (var json = new Utf8JsonWriter(output, GatewayJson.WriterOptions))
        {
            write(json, state);
        }

        output.Write("\n\n"u8);
    }

    /// <summary>The error event that ends a stream which broke off, in OpenAI's error shape (no [DONE] follows, so SDKs raise).</summary>
    public static void WriteErrorEvent(IBufferWriter<byte> output, GatewayError error) => WriteEvent(output, ErrorResponseWriter.Serialize(error));
}
