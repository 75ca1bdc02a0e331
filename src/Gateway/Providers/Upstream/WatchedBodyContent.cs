using System.Buffers;
using System.Net;
using System.Runtime.ExceptionServices;
using Gateway.Errors;
using Gateway.Streaming;

namespace Gateway.Providers.Upstream;

/// <summary>An upstream response body handed out through a <see cref="WatchedBodyStream"/>; headers as the provider sent them.</summary>
internal sealed class WatchedBodyContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly UpstreamAttempt _attempt;
    private readonly BodyWatch _watch;

    public WatchedBodyContent(HttpContent inner, UpstreamAttempt attempt, BodyWatch watch)
    {
        _inner = inner;
        _attempt = attempt;
        _watch = watch;
        foreach (var (name, values) in inner.Headers)
        {
            Headers.TryAddWithoutValidation(name, values);
        }
    }

    private WatchedBodyStream? _stream;

    private bool IsEventStream => string.Equals(Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        _stream = new WatchedBodyStream(await _inner.ReadAsStreamAsync(cancellationToken), _attempt, IsEventStream, _watch);

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await using var body = await CreateContentReadStreamAsync(cancellationToken);
        await body.CopyToAsync(stream, cancellationToken);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stream?.Dispose(); // stops watching it, whoever forgot to
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// Reads an upstream body with the attempt's idle timeout on every read. For an event stream relayed as it is,
/// a break (reset, timeout, or an end before <c>data: [DONE]</c>) does not cut the client off: the stream ends
/// with an OpenAI error event instead, so SDKs raise a clear error rather than a network one.
/// </summary>
internal sealed class WatchedBodyStream(Stream inner, UpstreamAttempt attempt, bool eventStream, BodyWatch watch) : Stream
{
    private static readonly byte[] DoneMarker = "[DONE]"u8.ToArray();
    private readonly byte[] _recent = new byte[16];
    private readonly bool _relayedEvents = eventStream && attempt.Relayed;
    private int _recentLength;
    private bool _watched;
    private volatile bool _idleTimedOut;
    private long _readSince;
    private byte[]? _tail;
    private int _tailOffset;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_tail is not null)
        {
            return DrainTail(buffer.Span);
        }

        if (!_watched)
        {
            _watched = true;
            watch.Watch(this);
        }

        Volatile.Write(ref _readSince, watch.Time.GetTimestamp());
        int read;
        try
        {
            read = await inner.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception ex) when (_idleTimedOut && !cancellationToken.IsCancellationRequested)
        {
            return Break(buffer.Span, new UpstreamTimeoutException("data", attempt.Timeouts.Idle, ex));
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            return Break(buffer.Span, ex);
        }
        finally
        {
            Volatile.Write(ref _readSince, 0); // a client slow to take the data is not an idle provider
        }

        if (read == 0 && buffer.Length > 0)
        {
            // (A zero-length read is YARP waiting for data before it rents a buffer, not the end.)
            watch.Unwatch(this);
            return _relayedEvents && !EndsWithDone()
                ? Break(buffer.Span, new IOException("the provider ended the stream early, without its end marker"))
                : 0;
        }

        if (_relayedEvents)
        {
            Remember(buffer.Span[..read]);
        }

        return read;
    }

    /// <summary>From the heartbeat: a read pending past the idle limit is ended by closing the provider's stream under it.</summary>
    internal void Check()
    {
        var since = Volatile.Read(ref _readSince);
        if (since != 0 && watch.Time.GetElapsedTime(since) >= attempt.Timeouts.Idle)
        {
            _idleTimedOut = true;
            watch.Unwatch(this);
            inner.Dispose();
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    private int Break(Span<byte> buffer, Exception exception)
    {
        watch.Unwatch(this);
        if (!eventStream || !attempt.Relayed)
        {
            ExceptionDispatchInfo.Throw(exception);
        }

        var error = exception is UpstreamTimeoutException timeout
            ? GatewayErrors.UpstreamTimeout(attempt.Provider, attempt.Model, timeout.Limit)
            : GatewayErrors.StreamBrokenOff(attempt.Provider, exception.InnerException?.Message ?? exception.Message);
        attempt.BrokenStream = error;
        // An event cut in half is closed off first, so the error arrives as an event of its own.
        var tail = new ArrayBufferWriter<byte>(512);
        if (_recentLength > 0 && !EndsWith("\n\n"u8) && !EndsWith("\r\n\r\n"u8))
        {
            tail.Write("\n\n"u8);
        }

        SseWriting.WriteErrorEvent(tail, error);
        _tail = tail.WrittenSpan.ToArray();
        return DrainTail(buffer);
    }

    private int DrainTail(Span<byte> buffer)
    {
        var count = Math.Min(buffer.Length, _tail!.Length - _tailOffset);
        _tail.AsSpan(_tailOffset, count).CopyTo(buffer);
        _tailOffset += count;
        return count;
    }

    private void Remember(ReadOnlySpan<byte> data)
    {
        if (data.Length >= _recent.Length)
        {
            data[^_recent.Length..].CopyTo(_recent);
            _recentLength = _recent.Length;
            return;
        }

        var keep = Math.Min(_recentLength, _recent.Length - data.Length);
        _recent.AsSpan(_recentLength - keep, keep).CopyTo(_recent);
        data.CopyTo(_recent.AsSpan(keep));
        _recentLength = keep + data.Length;
    }

    private bool EndsWith(ReadOnlySpan<byte> suffix) => _recent.AsSpan(0, _recentLength).EndsWith(suffix);

    private bool EndsWithDone() => _recent.AsSpan(0, _recentLength).TrimEnd(" \t\r\n"u8).EndsWith(DoneMarker);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            watch.Unwatch(this);
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
