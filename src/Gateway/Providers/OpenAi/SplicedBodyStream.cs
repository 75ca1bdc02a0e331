namespace Gateway.Providers.OpenAi;

/// <summary>
/// A read-only stream over the request body with one byte range replaced (the model value), so a
/// 1 MB prompt is forwarded without being copied or re-serialised.
/// </summary>
internal sealed class SplicedBodyStream(ReadOnlyMemory<byte> body, int cutStart, int cutLength, ReadOnlyMemory<byte> insert) : Stream
{
    private readonly ReadOnlyMemory<byte>[] _segments = [body[..cutStart], insert, body[(cutStart + cutLength)..]];
    private int _segment;
    private int _offset;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => body.Length - cutLength + insert.Length;
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer)
    {
        var written = 0;
        while (written < buffer.Length && _segment < _segments.Length)
        {
            var source = _segments[_segment].Span[_offset..];
            var count = Math.Min(source.Length, buffer.Length - written);
            source[..count].CopyTo(buffer[written..]);
            written += count;
            _offset += count;
            if (_offset == _segments[_segment].Length)
            {
                _segment++;
                _offset = 0;
            }
        }

        return written;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
