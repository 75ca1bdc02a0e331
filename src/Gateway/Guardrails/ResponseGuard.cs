using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Errors;
using Gateway.Guardrails.Detection;
using Gateway.Guardrails.Json;
using Gateway.Guardrails.Masking;
using Gateway.Routing;
using Microsoft.AspNetCore.Http;

namespace Gateway.Guardrails;

/// <summary>
/// The answer on its way to the caller, through the endpoint's response guardrails and the restoring of the
/// request's placeholders. Every provider's answer is in OpenAI's format by now. An SSE answer is rewritten
/// event by event: each choice's content, text and tool-call arguments go through a <see cref="StreamedField"/>
/// that holds back only what could still be (part of) an entity or a placeholder; a choice's finish_reason, the
/// [DONE] event or the end of the answer flushes what is held, in a chunk of its own where needed. A JSON answer is
/// kept whole (it is sent in one piece anyway) and rewritten at its end. A block finding in the answer replaces the
/// rest of it with a notice and finish_reason "content_filter", as providers' own content filters do. Error
/// answers pass through untouched.
/// </summary>
internal sealed class ResponseGuard(Stream inner, HttpResponse response, GuardrailRun run, EndpointKind kind) : Stream
{
    private const int ContentPattern = 4;
    private const int ToolArgumentsPattern = 5;
    private const int TextPattern = 6;
    private const int FinishPattern = 7;

    private static readonly JsonFieldPaths ChunkPaths = new(
        "id", "object", "created", "model",
        "choices[].delta.content", "choices[].delta.tool_calls[].function.arguments", "choices[].text", "choices[].finish_reason");

    // AnswerPaths 1 and 2: a JSON answer's tool-call (and legacy function-call) arguments.
    private const int AnswerToolArguments = 1;
    private const int AnswerFunctionArguments = 2;

    private static readonly JsonFieldPaths AnswerPaths = new(
        "choices[].message.content", "choices[].message.tool_calls[].function.arguments", "choices[].message.function_call.arguments", "choices[].text");

    private static readonly byte[] DataPrefix = "data:"u8.ToArray();

    private readonly Dictionary<string, OpenField> _fields = new(StringComparer.Ordinal);
    private readonly SortedSet<int> _choices = [];
    private readonly byte[]?[] _meta = new byte[4][];
    private Mode _mode;
    private ArrayBufferWriter<byte>? _json;
    private byte[] _pending = [];
    private int _pendingLength;
    private bool _blocked;
    private bool _dropBlankLine;
    private long _busyTicks;
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private readonly ArrayBufferWriter<byte> _edited = new(1024);
    private readonly List<JsonField> _found = [];

    private enum Mode
    {
        Undecided,
        PassThrough,
        Json,
        Sse,
    }

    /// <summary>Time spent scanning and rewriting the answer, for the trace.</summary>
    public TimeSpan Busy => Stopwatch.GetElapsedTime(0, _busyTicks);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var output = Process(buffer);
        if (output is not null)
        {
            inner.Write(output.WrittenSpan);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_mode == Mode.PassThrough)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            return;
        }

        var output = Process(buffer.Span);
        if (output is { WrittenCount: > 0 })
        {
            await inner.WriteAsync(output.WrittenMemory, cancellationToken);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
        if (_mode != Mode.Json)
        {
            inner.Flush();
        }
    }

    // A JSON answer is held whole: flushing would only send the headers early.
    public override Task FlushAsync(CancellationToken cancellationToken) => _mode == Mode.Json ? Task.CompletedTask : inner.FlushAsync(cancellationToken);

    /// <summary>The answer is complete: what is held goes out (a JSON answer, rewritten, in one piece).</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var output = new ArrayBufferWriter<byte>();
        if (_mode == Mode.Sse)
        {
            if (_pendingLength > 0)
            {
                // A last line without its newline (a stream cut short) still goes out, ended, so that what
                // follows it is a line of its own.
                var last = new byte[_pendingLength + 1];
                _pending.AsSpan(0, _pendingLength).CopyTo(last);
                last[^1] = (byte)'\n';
                _pendingLength = 0;
                ProcessLine(last, output);
                output.Write("\n"u8);
            }

            FlushAll(output);
        }
        else if (_mode == Mode.Json && _json is not null)
        {
            RewriteAnswer(_json.WrittenSpan, output);
            _json = null;
        }

        _busyTicks += Stopwatch.GetTimestamp() - started;
        _mode = Mode.PassThrough; // anything written later (a pipe completed late) must not be held forever
        if (output.WrittenCount > 0)
        {
            await inner.WriteAsync(output.WrittenMemory, cancellationToken);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>What of these bytes goes out now; null to pass them on as they are.</summary>
    private ArrayBufferWriter<byte>? Process(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return null;
        }

        if (_mode == Mode.Undecided)
        {
            _mode = Decide();
        }

        var started = Stopwatch.GetTimestamp();
        var output = _output; // written out before the next write comes (writes are not concurrent)
        output.ResetWrittenCount();
        switch (_mode)
        {
            case Mode.Json:
                _json!.Write(data);
                break;
            case Mode.Sse:
                ProcessLines(data, output);
                break;
            default:
                output.Write(data);
                break;
        }

        _busyTicks += Stopwatch.GetTimestamp() - started;
        return output;
    }

    /// <summary>At the first byte the headers are fixed: they say what the body is.</summary>
    private Mode Decide()
    {
        if (response.StatusCode >= 400)
        {
            return Mode.PassThrough; // an error: nothing the model wrote
        }

        var type = response.ContentType ?? "";
        if (type.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            return Mode.Sse;
        }

        if (type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            response.ContentLength = null; // the rewritten answer has its own length
            _json = new ArrayBufferWriter<byte>();
            return Mode.Json;
        }

        return Mode.PassThrough;
    }

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
                output.Write("data: "u8);
                output.Write(edited.WrittenSpan);
                output.Write("\n"u8);
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

    /// <summary>A chunk of its own for held text (or the notice), shaped like the provider's: the stream's id, object, created and model.</summary>
    private void WriteChunk(ArrayBufferWriter<byte> output, int pattern, int choice, int tool, string text, string? finishReason)
    {
        output.Write("data: "u8);
        using (var writer = new Utf8JsonWriter(output, GatewayJson.WriterOptions))
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
            if (finishReason is null)
            {
                writer.WriteNull("finish_reason");
            }
            else
            {
                writer.WriteString("finish_reason", finishReason);
            }

            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        output.Write("\n\n"u8);
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

    /// <summary>A whole JSON answer: each choice's text and tool arguments masked and restored, or the notice when blocked.</summary>
    private void RewriteAnswer(ReadOnlySpan<byte> json, ArrayBufferWriter<byte> output)
    {
        var fields = new List<JsonField>();
        try
        {
            AnswerPaths.Find(json, fields);
        }
        catch (JsonException)
        {
            output.Write(json);
            return;
        }

        List<JsonEdit>? edits = null;
        var findings = new List<PiiFinding>();
        foreach (var field in fields)
        {
            if (field.Value is not { Length: > 0 } value)
            {
                continue;
            }

            var text = value;
            if (run.Guardrails.OnResponse)
            {
                findings.Clear();
                run.Guardrails.Detect(value, GuardrailDirection.Response, findings);
                text = run.Apply(value, findings, GuardrailDirection.Response, field.Location);
            }

            text = PiiMasking.Restore(text, run.Vault, inJson: field.Pattern is AnswerToolArguments or AnswerFunctionArguments);
            if (!string.Equals(text, value, StringComparison.Ordinal))
            {
                (edits ??= []).Add(new JsonEdit(field.TokenStart, field.TokenLength, text));
            }
        }

        if (run.Blocked(GuardrailDirection.Response))
        {
            WriteBlockedAnswer(json, output);
        }
        else if (edits is null)
        {
            output.Write(json);
        }
        else
        {
            JsonEdits.Apply(json, edits, output);
        }
    }

    private void WriteBlockedAnswer(ReadOnlySpan<byte> json, ArrayBufferWriter<byte> output)
    {
        // Rare, and the answer is small: a tree is the plain way to rebuild it.
        var answer = JsonNode.Parse(json)!.AsObject();
        if (answer["choices"] is JsonArray choices)
        {
            foreach (var choice in choices.OfType<JsonObject>())
            {
                if (choice.ContainsKey("message"))
                {
                    choice["message"] = new JsonObject { ["role"] = "assistant", ["content"] = Notice(), ["refusal"] = null };
                }

                if (choice.ContainsKey("text"))
                {
                    choice["text"] = Notice();
                }

                choice["finish_reason"] = "content_filter";
            }
        }

        using var writer = new Utf8JsonWriter(output, GatewayJson.WriterOptions);
        answer.WriteTo(writer);
    }

    private sealed record OpenField(StreamedField Field, int Pattern, int Choice, int Tool);
}
