using System.Buffers;
using System.Buffers.Binary;
using Amazon.Runtime.EventStreams;

namespace Gateway.Providers.Bedrock;

/// <summary>
/// Reads AWS event-stream messages (application/vnd.amazon.eventstream) one at a time as they arrive: the
/// 4-byte big-endian total length frames each message, and AWSSDK.Core's <see cref="EventStreamMessage"/>
/// parses it and checks both of its CRCs.
/// </summary>
internal sealed class EventStreamReader(Stream stream)
{
    // A prelude (total length, headers length, prelude CRC) and a message CRC; Bedrock's events are far below the cap.
    private const int MinimumLength = 16;
    private const int MaximumLength = 16 * 1024 * 1024;

    private readonly byte[] _prelude = new byte[12];

    /// <summary>The next message, or null when the stream ended cleanly between messages.</summary>
    /// <exception cref="IOException">The stream ended inside a message, a length is impossible, or a message arrived damaged.</exception>
    public async Task<EventStreamMessage?> ReadAsync(CancellationToken cancellationToken)
    {
        var read = await stream.ReadAtLeastAsync(_prelude, _prelude.Length, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            return null;
        }

        if (read < _prelude.Length)
        {
            throw new IOException("the event stream ended inside a message's prelude");
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(_prelude);
        if (length is < MinimumLength or > MaximumLength)
        {
            throw new IOException($"an event-stream message claims an impossible length ({length} bytes)");
        }

        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            _prelude.CopyTo(buffer, 0);
            if (await stream.ReadAtLeastAsync(buffer.AsMemory(_prelude.Length, length - _prelude.Length), length - _prelude.Length, throwOnEndOfStream: false, cancellationToken) < length - _prelude.Length)
            {
                throw new IOException("the event stream ended inside a message");
            }

            return EventStreamMessage.FromBuffer(buffer, 0, length);
        }
        catch (Exception ex) when (ex is EventStreamChecksumFailureException or EventStreamParseException or ArgumentException)
        {
            throw new IOException($"a damaged event-stream message ({ex.Message})", ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
