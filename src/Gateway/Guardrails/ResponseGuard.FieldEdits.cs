using System.Buffers;
using System.Text.Json;
using Gateway.Core;
using Gateway.Guardrails.Json;

namespace Gateway.Guardrails;

// Field edits in a stream: each data event's texts through their StreamedFields, edited in place; a choice's end
// flushes its fields, and a block finding ends every choice with the notice.
internal sealed partial class ResponseGuard
{
    private const int ContentPattern = 4;
    private const int ToolArgumentsPattern = 5;
    private const int TextPattern = 6;
    private const int FinishPattern = 7;

    private static readonly JsonFieldPaths ChunkPaths = new(
        "id", "object", "created", "model",
        "choices[].delta.content", "choices[].delta.tool_calls[].function.arguments", "choices[].text", "choices[].finish_reason");

    private readonly Dictionary<string, OpenField> _fields = new(StringComparer.Ordinal);
    private readonly SortedSet<int> _choices = [];
    private readonly byte[]?[] _meta = new byte[4][];
    private bool _blocked;
    private readonly List<JsonField> _found = [];

    /// <summary>One data event: its texts through their fields; flushes and notices go to <paramref name="output"/> before it.</summary>
    private EventResult ProcessEvent(ReadOnlySpan<byte> json, ArrayBufferWriter<byte> output, ArrayBufferWriter<byte> edited)
    {
        if (json.SequenceEqual("[DONE]"u8))
        {
            if (!_blocked)
            {
                FlushAll(output);
            }

            return EventResult.Keep;
        }

        if (json.IsEmpty || json[0] != (byte)'{')
        {
            return EventResult.Keep;
        }

        var fields = _found;
        fields.Clear();
        try
        {
            ChunkPaths.Find(json, fields);
        }
        catch (JsonException)
        {
            return EventResult.Keep; // not ours to judge: it reaches the caller as it came
        }

        if (_blocked)
        {
            // After the notice only what has no choices (the usage chunk) still goes out.
            return fields.Exists(f => f.Pattern >= ContentPattern) ? EventResult.Drop : EventResult.Keep;
        }

        List<int>? finishing = null;
        foreach (var field in fields)
        {
            if (field.Pattern < ContentPattern)
            {
                _meta[field.Pattern] = json.Slice(field.TokenStart, field.TokenLength).ToArray();
            }
            else
            {
                _choices.Add(Math.Max(field.Index0, 0));
                if (field.Pattern == FinishPattern && field.Value is not null)
                {
                    (finishing ??= []).Add(field.Index0);
                }
            }
        }

        List<JsonEdit>? edits = null;
        foreach (var field in fields)
        {
            if (field.Pattern is not (ContentPattern or ToolArgumentsPattern or TextPattern) || field.Value is not { } value)
            {
                continue;
            }

            var open = Open(field);
            var text = open.Field.Push(value);
            if (finishing?.Contains(field.Index0) == true)
            {
                text += open.Field.Flush();
                _fields.Remove(field.Location);
            }

            if (!string.Equals(text, value, StringComparison.Ordinal))
            {
                (edits ??= []).Add(new JsonEdit(field.TokenStart, field.TokenLength, text));
            }
        }

        // The choice ends here: what its other fields still hold goes out first, in chunks of their own.
        foreach (var choice in finishing ?? [])
        {
            foreach (var (location, open) in _fields.Where(f => f.Value.Choice == choice).ToList())
            {
                _fields.Remove(location);
                if (open.Field.Flush() is { Length: > 0 } rest && !run.Blocked(GuardrailDirection.Response))
                {
                    WriteChunk(output, open.Pattern, open.Choice, open.Tool, rest, finishReason: null);
                }
            }
        }

        if (run.Blocked(GuardrailDirection.Response))
        {
            Block(output);
            return EventResult.Drop;
        }

        if (edits is null)
        {
            return EventResult.Keep;
        }

        JsonEdits.Apply(json, edits, edited);
        return EventResult.Rewritten;
    }

    private OpenField Open(JsonField field)
    {
        if (!_fields.TryGetValue(field.Location, out var open))
        {
            open = new OpenField(new StreamedField(run, field.Location, inJson: field.Pattern == ToolArgumentsPattern), field.Pattern, Math.Max(field.Index0, 0), field.Index1);
            _fields[field.Location] = open;
        }

        return open;
    }

    /// <summary>The answer ends ([DONE], or the end of the body): every field's held text goes out.</summary>
    private void FlushAll(ArrayBufferWriter<byte> output)
    {
        foreach (var open in _fields.Values.ToList())
        {
            if (open.Field.Flush() is { Length: > 0 } rest && !run.Blocked(GuardrailDirection.Response))
            {
                WriteChunk(output, open.Pattern, open.Choice, open.Tool, rest, finishReason: null);
            }
        }

        _fields.Clear();
        if (run.Blocked(GuardrailDirection.Response) && !_blocked)
        {
            Block(output);
        }
    }

    /// <summary>Ends every choice with the notice and finish_reason content_filter; what follows is dropped.</summary>
    private void Block(ArrayBufferWriter<byte> output)
    {
        _blocked = true;
        _fields.Clear();
        var pattern = kind == EndpointKind.Completions ? TextPattern : ContentPattern;
        foreach (var choice in _choices.Count > 0 ? _choices : [0])
        {
            WriteChunk(output, pattern, choice, -1, Notice(), "content_filter");
        }
    }

    private string Notice() =>
        $"[The gateway withheld this answer: guardrail '{run.BlockedBy}' found {string.Join(", ", run.BlockedEntities(GuardrailDirection.Response))}.]";

    private sealed record OpenField(StreamedField Field, int Pattern, int Choice, int Tool);
}
