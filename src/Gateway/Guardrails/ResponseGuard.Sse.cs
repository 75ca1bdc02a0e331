using System.Buffers;
using System.Text.Json;
using Gateway.Core;
using Gateway.Streaming;

namespace Gateway.Guardrails;

// SSE framing: the byte stream cut into lines, data events handed to ProcessEvent, and the chunks the guard
// writes itself (held text, the notice) shaped like the provider's.
internal sealed partial class ResponseGuard
{
    private static readonly byte[] DataPrefix = "data:"u8.ToArray();

    private byte[] _pending = [];
    private int _pendingLength;
    private bool _dropBlankLine;
    private readonly ArrayBufferWriter<byte> _edited = new(1024);

    private void ProcessLines(ReadOnlySpan<byte> data, ArrayBufferWriter<byte> output)
    {
        if (_pendingLength > 0)
        {
            // A line began in the last write: join it to this one (rare: events usually arrive whole).
            var joined = new byte[_pendingLength + data.Length];
            _pending.AsSpan(0, _pendingLength).CopyTo(joined);
            data.CopyTo(joined.AsSpan(_pendingLength));
            _pendingLength = 0;
            ProcessLines(joined, output);
            return;
        }

        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                if (_pending.Length < data.Length)
                {
                    _pending = new byte[Math.Max(data.Length, 4096)];
                }

                data.CopyTo(_pending);
                _pendingLength = data.Length;
                return;
            }

            ProcessLine(data[..(newline + 1)], output);
            data = data[(newline + 1)..];
        }
    }

    private void ProcessLine(ReadOnlySpan<byte> line, ArrayBufferWriter<byte> output)
    {
        var content = line.TrimEnd("\r\n"u8);
        if (content.IsEmpty)
        {
            if (!_dropBlankLine)
            {
                output.Write(line);
            }

            _dropBlankLine = false;
            return;
        }

        _dropBlankLine = false;
        if (!content.StartsWith(DataPrefix))
        {
            output.Write(line); // event:, id:, a comment
            return;
        }

        var json = content[DataPrefix.Length..].TrimStart((byte)' ');
        var edited = _edited;
        edited.ResetWrittenCount();
        switch (ProcessEvent(json, output, edited))
        {
            case EventResult.Keep:
                output.Write(line);
                break;
            case EventResult.Rewritten:
                SseWriting.WriteDataLines(output, edited.WrittenSpan); // the event's blank line follows as it came
                break;
            default:
                _dropBlankLine = true;
                break;
        }
    }

    private enum EventResult
    {
        Keep,
        Rewritten,
        Drop,
    }

    /// <summary>A chunk of its own for held text (or the notice), shaped like the provider's: the stream's id, object, created and model.</summary>
    private void WriteChunk(ArrayBufferWriter<byte> output, int pattern, int choice, int tool, string text, string? finishReason) =>
        SseWriting.WriteJsonEvent(output, (Guard: this, pattern, choice, tool, text, finishReason),
            static (writer, chunk) => chunk.Guard.WriteChunkJson(writer, chunk.pattern, chunk.choice, chunk.tool, chunk.text, chunk.finishReason));

    private void WriteChunkJson(Utf8JsonWriter writer, int pattern, int choice, int tool, string text, string? finishReason)
    {
        writer.WriteStartObject();
        WriteMeta(writer, "id", _meta[0], null);
        WriteMeta(writer, "object", _meta[1], kind == EndpointKind.Completions ? "text_completion" : "chat.completion.chunk");
        WriteMeta(writer, "created", _meta[2], null);
        WriteMeta(writer, "model", _meta[3], null);
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", choice);
        if (pattern == TextPattern)
        {
            writer.WriteString("text", text);
        }
        else
        {
            writer.WriteStartObject("delta");
            if (pattern == ToolArgumentsPattern)
            {
                writer.WriteStartArray("tool_calls");
                writer.WriteStartObject();
                writer.WriteNumber("index", Math.Max(tool, 0));
                writer.WriteStartObject("function");
                writer.WriteString("arguments", text);
                writer.WriteEndObject();
                writer.WriteEndObject();
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteString("content", text);
            }

            writer.WriteEndObject();
        }

        writer.WriteNull("logprobs");
        writer.WriteString("finish_reason", finishReason); // a null reason is written as JSON null

        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteMeta(Utf8JsonWriter writer, string name, byte[]? raw, string? fallback)
    {
        if (raw is not null)
        {
            writer.WritePropertyName(name);
            writer.WriteRawValue(raw, skipInputValidation: true);
        }
        else if (fallback is not null)
        {
            writer.WriteString(name, fallback);
        }
    }
}
