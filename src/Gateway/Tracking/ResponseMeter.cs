using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Gateway.Tracking;

/// <summary>
/// The client's response body, watched on its way out: every provider's answer reaches the client in OpenAI's
/// format, so one reader finds the usage, the answering model and the first byte's time for all of them, and
/// keeps what the trace captures. JSON answers pass straight through (a head and a tail are kept: OpenAI puts
/// the model first and usage last); SSE answers are read line by line, and the usage-only chunk the gateway
/// asked for on the caller's behalf is kept from a caller who did not ask for it.
/// </summary>
internal sealed class ResponseMeter(Stream inner, Func<bool> isEventStream, TimeProvider time, int captureBytes, bool stripUsageChunk) : Stream
{
    // OpenAI ends a JSON answer with usage (then at most service_tier and system_fingerprint): 4 KB is ample.
    private const int TailSize = 4 * 1024;
    private const int MaxCompletionText = 1024 * 1024;
    private static readonly byte[] DataPrefix = "data:"u8.ToArray();

    private bool _started;
    private bool _released;
    private bool _sse;
    private byte[]? _head;
    private int _headLength;
    private byte[]? _tail;
    private int _tailLength;
    private byte[]? _pending;
    private int _pendingLength;
    private bool _dropBlankLine;
    private StringBuilder? _text;

    public long? FirstByteTimestamp { get; private set; }

    /// <summary>Usage the answer reported, if it did.</summary>
    public UsageCounts? Usage { get; private set; }

    private string? _model;

    /// <summary>The model the answer named (for a JSON answer, as soon as its head has passed).</summary>
    public string? Model
    {
        get => _model ??= !_sse && _headLength > 0 ? ReadModel(_head.AsSpan(0, _headLength), last: false) : null;
        private set => _model = value;
    }

    /// <summary>An error the answer carried in its stream (an error event after the start).</summary>
    public string? StreamError { get; private set; }

    /// <summary>The answer's text (content deltas of a stream), for the tokenizer and the capture.</summary>
    public string CompletionText => _text?.ToString() ?? "";

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_released)
        {
            inner.Write(buffer);
            return;
        }

        if (_sse || Start(buffer.Length))
        {
            var forward = FilterEvents(buffer.ToArray()); // sync writes are rare (the pipe and YARP write async)
            foreach (var (start, length) in forward.Ranges)
            {
                inner.Write(forward.Source.Span.Slice(start, length));
            }

            return;
        }

        Observe(buffer);
        inner.Write(buffer);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_released)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            return;
        }

        if (_sse || Start(buffer.Length))
        {
            var forward = FilterEvents(buffer);
            foreach (var (start, length) in forward.Ranges)
            {
                await inner.WriteAsync(forward.Source.Slice(start, length), cancellationToken);
            }

            return;
        }

        Observe(buffer.Span);
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    /// <summary>The answer is complete: a last line without its newline still goes out, and JSON usage is read.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_pendingLength > 0)
        {
            var rest = _pending.AsMemory(0, _pendingLength).ToArray();
            _pendingLength = 0;
            await inner.WriteAsync(rest, cancellationToken);
        }

        if (!_sse && _headLength > 0)
        {
            ReadJsonAnswer();
        }
    }

    /// <summary>What the trace keeps of the answer: the text of a stream, or the start of a JSON body.</summary>
    public string? Captured(int maxChars)
    {
        if (captureBytes == 0)
        {
            return null;
        }

        if (!_sse)
        {
            return Utf8Text.Prefix(_head.AsSpan(0, _headLength), maxChars);
        }

        var text = CompletionText;
        return text.Length > maxChars ? text[..maxChars] : text;
    }

    protected override void Dispose(bool disposing)
    {
        Release();
        base.Dispose(disposing);
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>The first write: the headers are fixed now, so the content type says how to read the body.</summary>
    private bool Start(int length)
    {
        if (length == 0)
        {
            return false;
        }

        if (!_started)
        {
            _started = true;
            FirstByteTimestamp = time.GetTimestamp();
            _sse = isEventStream();
        }

        return _sse;
    }

    private void Observe(ReadOnlySpan<byte> data)
    {
        // The head keeps the capture and the model; most answers fit in it whole. Past it, a rolling tail keeps
        // the end, where usage is.
        var headSize = Math.Max(captureBytes, 1024);
        var headRoom = headSize - _headLength;
        if (headRoom > 0)
        {
            _head ??= ArrayPool<byte>.Shared.Rent(headSize);
            var count = Math.Min(headRoom, data.Length);
            data[..count].CopyTo(_head.AsSpan(_headLength));
            _headLength += count;
            data = data[count..];
            if (data.IsEmpty)
            {
                return;
            }
        }

        _tail ??= ArrayPool<byte>.Shared.Rent(TailSize);
        if (data.Length >= TailSize)
        {
            data[^TailSize..].CopyTo(_tail);
            _tailLength = TailSize;
        }
        else
        {
            var keep = Math.Min(_tailLength, TailSize - data.Length);
            _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);
            data.CopyTo(_tail.AsSpan(keep));
            _tailLength = keep + data.Length;
        }
    }

    /// <summary>The trace has what it needs: the pooled buffers go back, and later writes just pass through.</summary>
    public void Release()
    {
        _released = true;
        Return(ref _head);
        Return(ref _tail);
        Return(ref _pending);
        _headLength = _tailLength = 0;
    }

    private void ReadJsonAnswer()
    {
        // The whole answer is in the head unless it outgrew it; when the tail has not filled yet, head and tail
        // together are the whole answer (and usage may straddle them).
        ReadOnlySpan<byte> tail = _tail is null
            ? _head.AsSpan(0, _headLength)
            : _tailLength < TailSize ? [.. _head.AsSpan(0, _headLength), .. _tail.AsSpan(0, _tailLength)] : _tail.AsSpan(0, _tailLength);
        if (FindValue(tail, "\"usage\""u8, last: true) is { } usageAt && tail[usageAt] == (byte)'{')
        {
            Usage = UsageCounts.Read(tail[usageAt..]);
        }

        Model ??= ReadModel(tail, last: true); // embeddings name the model after their data
    }

    private static string? ReadModel(ReadOnlySpan<byte> json, bool last)
    {
        if (FindValue(json, "\"model\""u8, last) is not { } at || json[at] != (byte)'"')
        {
            return null;
        }

        var reader = new Utf8JsonReader(json[at..], isFinalBlock: false, default);
        return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
    }

    /// <summary>Where the value of a property starts, by its quoted name (not one inside a string: no backslash before it).</summary>
    private static int? FindValue(ReadOnlySpan<byte> json, ReadOnlySpan<byte> quotedName, bool last)
    {
        var limit = json.Length; // last: search before this
        var from = 0; // first: search from here
        while (true)
        {
            var at = last ? json[..limit].LastIndexOf(quotedName) : json[from..].IndexOf(quotedName) is var i and >= 0 ? from + i : -1;
            if (at < 0)
            {
                return null;
            }

            var next = SkipSpace(json, at + quotedName.Length);
            var escaped = at > 0 && json[at - 1] == (byte)'\\';
            if (!escaped && next < json.Length && json[next] == (byte)':')
            {
                var value = SkipSpace(json, next + 1);
                return value < json.Length ? value : null;
            }

            limit = at;
            from = at + 1;
        }
    }

    private static int SkipSpace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            i++;
        }

        return i;
    }

    /// <summary>Splits the written bytes into lines, reads each data line, and says which ranges go on to the client.</summary>
    private ForwardPlan FilterEvents(ReadOnlyMemory<byte> data)
    {
        var source = data;
        if (_pendingLength > 0)
        {
            // A line began in the last write: join it to this one (rare; events usually arrive whole).
            var joined = new byte[_pendingLength + data.Length];
            _pending.AsSpan(0, _pendingLength).CopyTo(joined);
            data.Span.CopyTo(joined.AsSpan(_pendingLength));
            _pendingLength = 0;
            source = joined;
        }

        var span = source.Span;
        var ranges = new List<(int, int)>(1);
        var rangeStart = 0;
        var lineStart = 0;
        while (lineStart < span.Length)
        {
            var newline = span[lineStart..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                break;
            }

            var lineEnd = lineStart + newline + 1;
            var line = span[lineStart..(lineEnd - 1)].TrimEnd((byte)'\r');
            var drop = false;
            if (line.IsEmpty)
            {
                drop = _dropBlankLine;
                _dropBlankLine = false;
            }
            else if (line.StartsWith(DataPrefix))
            {
                drop = ReadEvent(line[DataPrefix.Length..].TrimStart((byte)' ')) && stripUsageChunk;
                _dropBlankLine = drop;
            }

            if (drop)
            {
                if (lineStart > rangeStart)
                {
                    ranges.Add((rangeStart, lineStart - rangeStart));
                }

                rangeStart = lineEnd;
            }

            lineStart = lineEnd;
        }

        if (lineStart > rangeStart)
        {
            ranges.Add((rangeStart, lineStart - rangeStart));
        }

        if (lineStart < span.Length)
        {
            // The rest of an unfinished line waits for its end (or for CompleteAsync).
            var rest = span[lineStart..];
            if (_pending is null || _pending.Length < rest.Length)
            {
                Return(ref _pending);
                _pending = ArrayPool<byte>.Shared.Rent(Math.Max(rest.Length, 4096));
            }

            rest.CopyTo(_pending);
            _pendingLength = rest.Length;
        }

        return new ForwardPlan(source, ranges);
    }

    /// <summary>Reads one chunk's JSON; true when it is the usage-only chunk (no choices, usage set).</summary>
    private bool ReadEvent(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty || json[0] != (byte)'{')
        {
            return false; // [DONE], or not JSON
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            var choices = -1;
            var hasUsage = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (Model is null && reader.TokenType == JsonTokenType.String)
                    {
                        Model = reader.GetString();
                    }
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        Usage = UsageCounts.Read(json[start..((int)reader.BytesConsumed)]);
                        hasUsage = true;
                    }
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    choices = ReadChoices(ref reader);
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    StreamError = ReadErrorCode(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return hasUsage && choices == 0;
        }
        catch (JsonException)
        {
            return false; // not ours to judge: it goes to the client as it came
        }
    }

    /// <summary>Appends each choice's text (delta.content, or text for completions); returns how many choices there were.</summary>
    private int ReadChoices(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return -1;
        }

        var count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            count++;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("text"u8))
                {
                    reader.Read();
                    AppendText(ref reader);
                }
                else if (reader.ValueTextEquals("delta"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }

                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var isContent = reader.ValueTextEquals("content"u8);
                        reader.Read();
                        if (isContent)
                        {
                            AppendText(ref reader);
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }

        return count;
    }

    private void AppendText(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return;
        }

        _text ??= new StringBuilder();
        if (_text.Length < MaxCompletionText)
        {
            _text.Append(reader.GetString());
        }
    }

    private static string ReadErrorCode(ref Utf8JsonReader reader)
    {
        string? code = null, type = null;
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueTextEquals("code"u8) ? 1 : reader.ValueTextEquals("type"u8) ? 2 : 0;
                reader.Read();
                if (name > 0 && reader.TokenType == JsonTokenType.String)
                {
                    if (name == 1)
                    {
                        code = reader.GetString();
                    }
                    else
                    {
                        type = reader.GetString();
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        else
        {
            reader.Skip();
        }

        return code ?? type ?? "stream_error";
    }

    private static void Return(ref byte[]? array)
    {
        if (array is not null)
        {
            ArrayPool<byte>.Shared.Return(array);
            array = null;
        }
    }

    private readonly record struct ForwardPlan(ReadOnlyMemory<byte> Source, List<(int Start, int Length)> Ranges);
}
