using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Support;

/// <summary>
/// The same server-sent events as they may arrive on the wire: cut at any byte, each data field over several
/// lines (which SSE joins with a line feed, and JSON reads as whitespace), CRLF line ends, comments between events.
/// </summary>
internal static partial class SseWire
{
    /// <summary>Every JSON data line split after each comma between members, lines ended with CRLF, a comment before each event.</summary>
    public static byte[] Reframed(string events)
    {
        var text = new StringBuilder();
        foreach (var line in events.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                text.Append(": keep-alive\r\n");
                text.AppendJoin("\r\n", MemberBoundary().Split(line[6..]).Select(part => "data: " + part)).Append("\r\n");
            }
            else
            {
                text.Append(line).Append("\r\n");
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    // After a comma that ends a JSON value and starts the next member ("...,\"b\"").
    [GeneratedRegex(@"(?<=,)(?=""[a-zA-Z_]+"":)")]
    private static partial Regex MemberBoundary();
}

/// <summary>A body that hands out its bytes in the pieces given (a stream cut at those offsets), or one byte per read.</summary>
internal sealed class ChunkedStream(byte[] bytes, params int[] cuts) : Stream
{
    private readonly bool _byteAtATime = cuts.Length == 0;
    private int _position;
    private int _cut;

    public static ChunkedStream OneByteAtATime(byte[] bytes) => new(bytes);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => bytes.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var end = _byteAtATime ? _position + 1 : _cut < cuts.Length ? cuts[_cut] : bytes.Length;
        while (!_byteAtATime && end <= _position && _cut < cuts.Length)
        {
            end = ++_cut < cuts.Length ? cuts[_cut] : bytes.Length;
        }

        var count = Math.Min(Math.Min(buffer.Length, end - _position), bytes.Length - _position);
        bytes.AsSpan(_position, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
