using System.Buffers;

namespace Gateway.Tracking;

/// <summary>
/// An SSE answer split into lines as it is written: each data line's JSON goes to a reader, and the usage-only
/// chunk the gateway asked for on the caller's behalf (with the blank line ending its event) is kept from a caller
/// who did not ask for it. A line that a write leaves unfinished waits for the next.
/// </summary>
internal sealed class UsageChunkFilter(bool stripUsageChunk, UsageChunkFilter.ChunkReader readChunk)
{
    /// <summary>Reads one chunk's JSON; true when it is the usage-only chunk (no choices, usage set).</summary>
    public delegate bool ChunkReader(ReadOnlySpan<byte> json);

    private static readonly byte[] DataPrefix = "data:"u8.ToArray();

    private byte[]? _pending;
    private int _pendingLength;
    private bool _dropBlankLine;

    /// <summary>Splits the written bytes into lines, reads each data line, and says which ranges go on to the client.</summary>
    public ForwardPlan Filter(ReadOnlyMemory<byte> data)
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
                drop = readChunk(line[DataPrefix.Length..].TrimStart((byte)' ')) && stripUsageChunk;
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

    /// <summary>The rest of an unfinished line, taken: the answer ended without its newline. Null when there is none.</summary>
    public byte[]? TakePending()
    {
        if (_pendingLength == 0)
        {
            return null;
        }

        var rest = _pending.AsMemory(0, _pendingLength).ToArray();
        _pendingLength = 0;
        return rest;
    }

    /// <summary>The pooled buffer goes back.</summary>
    public void Release() => Return(ref _pending);

    private static void Return(ref byte[]? array)
    {
        if (array is not null)
        {
            ArrayPool<byte>.Shared.Return(array);
            array = null;
        }
    }

    /// <summary>The bytes written (joined to an unfinished line before them) and the ranges of them that go on to the client.</summary>
    public readonly record struct ForwardPlan(ReadOnlyMemory<byte> Source, List<(int Start, int Length)> Ranges);
}
