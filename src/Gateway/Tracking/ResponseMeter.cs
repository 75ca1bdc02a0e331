using System.Buffers;
using System.Text;
using System.Text.Json;
using Gateway.Streaming;

namespace Gateway.Tracking;

/// <summary>
/// The answer, watched on its way out: every provider's answer reaches the client in OpenAI's format, so one
/// reader finds the usage, the answering model and the first byte's time for all of them, and keeps what the
/// trace captures. A JSON answer passes through this stream on the response (a head and a tail are kept: OpenAI
/// puts the model first and usage last); a stream's events come through the relay, where the meter is the first
/// chunk stage and keeps the usage-only chunk the gateway asked for on the caller's behalf from a caller who did
/// not ask for it.
/// </summary>
/// <remarks>This part is the JSON answer; ResponseMeter.Chunks.cs reads a stream's chunks.</remarks>
internal sealed partial class ResponseMeter(Stream inner, Func<bool> isEventStream, TimeProvider time, int captureBytes, bool stripUsageChunk) : Stream, IChunkStage
{
    // OpenAI ends a JSON answer with usage (then at most service_tier and system_fingerprint): 4 KB is ample.
    private const int TailSize = 4 * 1024;

    private bool _started;
    private bool _released;
    private bool _sse;
    private byte[]? _head;
    private int _headLength;
    private byte[]? _tail;
    private int _tailLength;
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

        Start(buffer.Length);
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

        Start(buffer.Length);
        Observe(buffer.Span);
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    /// <summary>The answer is complete: a JSON answer's usage is read.</summary>
    public void Complete()
    {
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

    /// <summary>The first write: the headers are fixed now, and an event stream must not have come this way.</summary>
    private void Start(int length)
    {
        if (length == 0 || _started)
        {
            return;
        }

        _started = true;
        FirstByteTimestamp = time.GetTimestamp();
        if (isEventStream())
        {
            throw new InvalidOperationException("An event stream was written to the response body past the relay: its chunks would go unmetered.");
        }
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
        _headLength = _tailLength = 0;
    }

    private void ReadJsonAnswer()
    {
        // The whole answer is in the head unless it outgrew it; when the tail has not filled yet, head and tail
        // together are the whole answer (and usage may straddle them).
        ReadOnlySpan<byte> tail = _tail is null
            ? _head.AsSpan(0, _headLength)
            : _tailLength < TailSize ? [.. _head.AsSpan(0, _headLength), .. _tail.AsSpan(0, _tailLength)] : _tail.AsSpan(0, _tailLength);
        if (JsonScanner.FindValue(tail, "\"usage\""u8, last: true) is { } usageAt && tail[usageAt] == (byte)'{')
        {
            Usage = UsageCounts.Read(tail[usageAt..]);
        }

        Model ??= ReadModel(tail, last: true); // embeddings name the model after their data
    }

    private static string? ReadModel(ReadOnlySpan<byte> json, bool last)
    {
        if (JsonScanner.FindValue(json, "\"model\""u8, last) is not { } at || json[at] != (byte)'"')
        {
            return null;
        }

        var reader = new Utf8JsonReader(json[at..], isFinalBlock: false, default);
        return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
    }

    private static void Return(ref byte[]? array)
    {
        if (array is not null)
        {
            ArrayPool<byte>.Shared.Return(array);
            array = null;
        }
    }
}
