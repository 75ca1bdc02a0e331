using System.Buffers;
using Gateway.Core;
using Gateway.Guardrails.Json;
using Gateway.Streaming;

namespace Gateway.Guardrails;

// Field edits in a stream: each chunk's texts (as the relay's one reading found them) through their StreamedFields,
// edited in place; a choice's end flushes its fields, and a block finding ends every choice with the notice.
internal sealed partial class ResponseGuard
{
    private readonly Dictionary<(ChunkTextKind Kind, int Choice, int Tool), OpenField> _fields = [];
    private readonly SortedSet<int> _choices = [];
    private readonly byte[]?[] _meta = new byte[4][];
    private readonly List<JsonEdit> _edits = [];
    private bool _blocked;

    /// <summary>One chunk: its texts through their fields; flushes and notices go to <paramref name="output"/> before it.</summary>
    private ChunkVerdict ProcessEvent(ReadOnlySpan<byte> json, ChunkFacts facts, IBufferWriter<byte> output, IBufferWriter<byte> edited)
    {
        if (facts.Kind == ChunkKind.Done)
        {
            if (!_blocked)
            {
                FlushAll(output);
            }

            return ChunkVerdict.Keep;
        }

        if (facts.Kind != ChunkKind.Json)
        {
            return ChunkVerdict.Keep; // not ours to judge: it reaches the caller as it came
        }

        if (_blocked)
        {
            // After the notice only what has no choices (the usage chunk, an error) still goes out.
            return facts.Choices > 0 ? ChunkVerdict.Drop : ChunkVerdict.Keep;
        }

        if (facts.HasUndecodableText)
        {
            return ChunkVerdict.Drop; // a text the guardrails cannot read does not reach the caller unread
        }

        if (facts.ErrorCode is not null)
        {
            FlushAll(output); // the stream breaks off here: what is held goes out before the error that ends it
            return ChunkVerdict.Keep;
        }

        Remember(0, facts.Id, json);
        Remember(1, facts.Object, json);
        Remember(2, facts.Created, json);
        Remember(3, facts.Model, json);
        foreach (var text in facts.Texts)
        {
            _choices.Add(Math.Max(text.Choice, 0));
        }

        var finishing = false;
        foreach (var finish in facts.Finishes)
        {
            _choices.Add(Math.Max(finish.Choice, 0));
            finishing |= finish.Reason is not null;
        }

        var edits = _edits;
        edits.Clear();
        foreach (var chunkText in facts.Texts)
        {
            var key = (chunkText.Kind, Math.Max(chunkText.Choice, 0), chunkText.Tool);
            var open = Open(key);
            var value = chunkText.Value;
            var text = open.Field.Push(value);
            if (finishing && Finishes(facts, key.Item2))
            {
                text += open.Field.Flush();
                _fields.Remove(key);
            }

            if (!string.Equals(text, value, StringComparison.Ordinal))
            {
                edits.Add(new JsonEdit(chunkText.Token.Start, chunkText.Token.Length, text));
            }
        }

        // The choice ends here: what its other fields still hold goes out first, in chunks of their own.
        foreach (var finish in facts.Finishes)
        {
            if (finish.Reason is null)
            {
                continue;
            }

            var choice = Math.Max(finish.Choice, 0);
            foreach (var (key, open) in _fields.Where(f => f.Key.Choice == choice).ToList())
            {
                _fields.Remove(key);
                if (open.Field.Flush() is { Length: > 0 } rest && !run.Blocked(GuardrailDirection.Response))
                {
                    WriteChunk(output, key.Kind, key.Choice, key.Tool, rest, finishReason: null);
                }
            }
        }

        if (run.Blocked(GuardrailDirection.Response))
        {
            Block(output);
            return ChunkVerdict.Drop;
        }

        if (edits.Count == 0)
        {
            return ChunkVerdict.Keep;
        }

        JsonEdits.Apply(json, edits, edited);
        return ChunkVerdict.Rewritten;
    }

    private static bool Finishes(ChunkFacts facts, int choice) => facts.Finishes.Exists(f => f.Reason is not null && Math.Max(f.Choice, 0) == choice);

    /// <summary>Keeps the stream's id, object, created and model for the guard's own chunks (copied only when they change).</summary>
    private void Remember(int slot, JsonRange token, ReadOnlySpan<byte> json)
    {
        if (!token.IsEmpty && (_meta[slot] is not { } kept || !kept.AsSpan().SequenceEqual(token.Of(json))))
        {
            _meta[slot] = token.Of(json).ToArray();
        }
    }

    private OpenField Open((ChunkTextKind Kind, int Choice, int Tool) key)
    {
        if (!_fields.TryGetValue(key, out var open))
        {
            // The location the trace names a finding by, as the request's are named: choices[0].delta.content.
            var location = key.Kind switch
            {
                ChunkTextKind.ToolArguments => $"choices[{key.Choice}].delta.tool_calls[{key.Tool}].function.arguments",
                ChunkTextKind.Text => $"choices[{key.Choice}].text",
                _ => $"choices[{key.Choice}].delta.content",
            };
            open = new OpenField(new StreamedField(run, location, inJson: key.Kind == ChunkTextKind.ToolArguments));
            _fields[key] = open;
        }

        return open;
    }

    /// <summary>The answer ends ([DONE], or the end of the body): every field's held text goes out.</summary>
    private void FlushAll(IBufferWriter<byte> output)
    {
        foreach (var (key, open) in _fields.ToList())
        {
            if (open.Field.Flush() is { Length: > 0 } rest && !run.Blocked(GuardrailDirection.Response))
            {
                WriteChunk(output, key.Kind, key.Choice, key.Tool, rest, finishReason: null);
            }
        }

        _fields.Clear();
        if (run.Blocked(GuardrailDirection.Response) && !_blocked)
        {
            Block(output);
        }
    }

    /// <summary>Ends every choice with the notice and finish_reason content_filter; what follows is dropped.</summary>
    private void Block(IBufferWriter<byte> output)
    {
        _blocked = true;
        _fields.Clear();
        var textKind = kind == EndpointKind.Completions ? ChunkTextKind.Text : ChunkTextKind.Content;
        foreach (var choice in _choices.Count > 0 ? _choices : [0])
        {
            WriteChunk(output, textKind, choice, -1, Notice(), "content_filter");
        }
    }

    private string Notice() =>
        $"[The gateway withheld this answer: guardrail '{run.BlockedBy}' found {string.Join(", ", run.BlockedEntities(GuardrailDirection.Response))}.]";

    private sealed record OpenField(StreamedField Field);
}
