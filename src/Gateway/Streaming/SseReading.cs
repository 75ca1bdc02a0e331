using System.Net.ServerSentEvents;

namespace Gateway.Streaming;

/// <summary>
/// The one way the gateway reads an event stream: a provider's, with <see cref="SseParser"/> (multi-line data
/// joined, CRLF taken, comments skipped). The SSE spec discards an event the stream ends
/// in before its blank line; a server (or a proxy) that closes straight after the last data line would then lose
/// the event that completes the answer (Anthropic's message_stop, Gemini's last chunk with its usage), so the end
/// of the body is read as one blank line more.
/// </summary>
internal static class SseReading
{
    public static IAsyncEnumerable<SseItem<string>> ReadAsync(Stream body, CancellationToken aborted) =>
        SseParser.Create(new EndsWithBlankLine(body, null, null)).EnumerateAsync(aborted);

    /// <summary>
    /// A parser whose items <paramref name="parse"/> makes from each event's data in place (a span of the parser's
    /// buffer); <paramref name="beforeRead"/> runs before each read of the body that may wait (the relay flushes there).
    /// </summary>
    /// <remarks><paramref name="onComment"/> is told of each comment line as its bytes are read (the parser skips them).</remarks>
    public static SseParser<T> Parse<T>(Stream body, SseItemParser<T> parse, Func<CancellationToken, ValueTask>? beforeRead, Action? onComment = null) =>
        SseParser.Create(new EndsWithBlankLine(body, beforeRead, onComment), parse);

    private sealed class EndsWithBlankLine(Stream inner, Func<CancellationToken, ValueTask>? beforeRead, Action? onComment) : Stream
    {
        private static readonly byte[] Ending = "\n\n"u8.ToArray();
        private int _endingSent = -1; // -1 while the inner stream has bytes
        private bool _atLineStart = true;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_endingSent < 0)
            {
                if (beforeRead is not null)
                {
                    await beforeRead(cancellationToken);
                }

                var read = await inner.ReadAsync(buffer, cancellationToken);
                if (read > 0 || buffer.IsEmpty)
                {
                    WatchComments(buffer.Span[..read]);
                    return read;
                }

                _endingSent = 0;
            }

            return Tail(buffer.Span);
        }

        public override int Read(Span<byte> buffer)
        {
            if (_endingSent < 0)
            {
                var read = inner.Read(buffer);
                if (read > 0 || buffer.IsEmpty)
                {
                    WatchComments(buffer[..read]);
                    return read;
                }

                _endingSent = 0;
            }

            return Tail(buffer);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

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
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        /// <summary>A line that starts with ':' is a comment: only each line's first byte is looked at.</summary>
        private void WatchComments(ReadOnlySpan<byte> bytes)
        {
            if (onComment is null || bytes.IsEmpty)
            {
                return;
            }

            var at = 0;
            while (true)
            {
                if (_atLineStart && bytes[at] == (byte)':')
                {
                    onComment();
                }

                var newline = bytes[at..].IndexOf((byte)'\n');
                if (newline < 0)
                {
                    _atLineStart = false;
                    return;
                }

                at += newline + 1;
                _atLineStart = true;
                if (at == bytes.Length)
                {
                    return;
                }
            }
        }

        private int Tail(Span<byte> buffer)
        {
            var count = Math.Min(buffer.Length, Ending.Length - _endingSent);
            Ending.AsSpan(_endingSent, count).CopyTo(buffer);
            _endingSent += count;
            return count;
        }
    }
}
