using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Gateway.Core;
using Gateway.Streaming;

namespace Gateway.Guardrails;

// A stream's chunks, last in the relay's chain: each event through ProcessEvent, and the chunks the guard writes
// itself (held text, the notice) shaped like the provider's.
internal sealed partial class ResponseGuard
{
    public ChunkVerdict OnChunk(ReadOnlySpan<byte> data, ChunkFacts facts, IBufferWriter<byte> output, IBufferWriter<byte> rewritten)
    {
        var started = Stopwatch.GetTimestamp();
        var verdict = ProcessEvent(data, facts, output, rewritten);
        _busyTicks += Stopwatch.GetTimestamp() - started;
        return verdict;
    }

    public void OnEnd(IBufferWriter<byte> output)
    {
        var started = Stopwatch.GetTimestamp();
        FlushAll(output);
        _busyTicks += Stopwatch.GetTimestamp() - started;
    }

    /// <summary>A chunk of its own for held text (or the notice), shaped like the provider's: the stream's id, object, created and model.</summary>
    private void WriteChunk(IBufferWriter<byte> output, ChunkTextKind textKind, int choice, int tool, string text, string? finishReason) =>
        SseWriting.WriteJsonEvent(output, (Guard: this, textKind, choice, tool, text, finishReason),
            static (writer, chunk) => chunk.Guard.WriteChunkJson(writer, chunk.textKind, chunk.choice, chunk.tool, chunk.text, chunk.finishReason));

    private void WriteChunkJson(Utf8JsonWriter writer, ChunkTextKind textKind, int choice, int tool, string text, string? finishReason)
    {
        writer.WriteStartObject();
        WriteMeta(writer, "id", _meta[0], null);
        WriteMeta(writer, "object", _meta[1], kind == EndpointKind.Completions ? "text_completion" : "chat.completion.chunk");
        WriteMeta(writer, "created", _meta[2], null);
        WriteMeta(writer, "model", _meta[3], null);
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", choice);
        if (textKind == ChunkTextKind.Text)
        {
            writer.WriteString("text", text);
        }
        else
        {
            writer.WriteStartObject("delta");
            if (textKind == ChunkTextKind.ToolArguments)
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
