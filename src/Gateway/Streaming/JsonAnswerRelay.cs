using System.Buffers;
using System.Text.Json;
using Gateway.Errors;

namespace Gateway.Streaming;

/// <summary>
/// A provider's JSON answer on its way to the caller, checked as it passes: it must be one JSON object and nothing
/// after it. Its first <see cref="ParsedBytes"/> (the whole of almost every chat answer) are read as JSON; past
/// them only the frame is checked (the object's closing brace last), since tokenising a large embeddings answer's
/// numbers cost more than the rest of the gateway's work on it. An answer up to <see cref="HeldBytes"/> is read whole
/// and checked before its first byte is sent, so a body that is not JSON (a proxy's HTML page with status 200, a
/// truncated object) fails the attempt before the answer starts, and a retry or a fallback may still answer. A
/// larger answer goes on as it is checked; one found broken after that ends the response.
/// </summary>
internal static class JsonAnswerRelay
{
    /// <summary>How much of an answer is held back until it is known to be whole JSON.</summary>
    public const int HeldBytes = 1 << 20;

    /// <summary>How much of an answer is read as JSON; the rest is checked for its end only.</summary>
    public const int ParsedBytes = 8 * 1024;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 256 };

    /// <param name="malformed">The error for an answer that is not one JSON object.</param>
    /// <param name="broken">The error for a read of the provider's body that failed (a reset, a timeout).</param>
    /// <param name="heldBytes">How much to hold back before sending (tests make it small).</param>
    public static async Task<RelayResult> RelayAsync(Stream upstream, Stream client, Func<GatewayError> malformed, Func<Exception, GatewayError> broken,
        CancellationToken cancellationToken, int heldBytes = HeldBytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var check = new Check(new JsonReaderState(Options));
        var length = 0; // bytes in the buffer not yet sent
        var sent = false;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    buffer = Grow(buffer, length);
                }

                int read;
                try
                {
                    read = await upstream.ReadAsync(buffer.AsMemory(length), cancellationToken);
                }
                catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
                {
                    return new RelayResult(CallerGone: false, broken(exception), BeforeStart: !sent);
                }

                length += read;
                var final = read == 0;
                if (!check.Advance(buffer.AsSpan(0, length), final))
                {
                    return new RelayResult(CallerGone: false, malformed(), BeforeStart: !sent);
                }

                if (final || (check.Checked > 0 && (sent || length > heldBytes)))
                {
                    // Past the held part, or whole: what was checked goes out; a token cut by the read waits for the rest.
                    var ready = final ? length : check.Checked;
                    await client.WriteAsync(buffer.AsMemory(0, ready), cancellationToken);
                    sent = true;
                    buffer.AsSpan(ready, length - ready).CopyTo(buffer);
                    length -= ready;
                    check.Sent(ready);
                }

                if (final)
                {
                    await client.FlushAsync(cancellationToken);
                    return new RelayResult(CallerGone: false, null);
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException && cancellationToken.IsCancellationRequested)
        {
            return new RelayResult(CallerGone: true, null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] Grow(byte[] buffer, int length)
    {
        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
        buffer.AsSpan(0, length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    /// <summary>The check so far: the reader's state across reads, and how much of the unsent bytes it has read.</summary>
    private struct Check(JsonReaderState state)
    {
        private bool _rooted;
        private bool _complete;
        private long _parsed;
        private bool _framing;
        private byte _last;

        /// <summary>Bytes at the buffer's start the reader has consumed (whole tokens).</summary>
        public int Checked { get; private set; }

        /// <summary>Reads on from where it stopped; false as soon as the bytes are not (the start of) one JSON object.</summary>
        public bool Advance(ReadOnlySpan<byte> unsent, bool final)
        {
            if (_framing)
            {
                // Past the parsed part: every byte counts as checked; the answer must end with the object's brace.
                var rest = unsent[Checked..].TrimEnd(" \t\r\n"u8);
                if (!rest.IsEmpty)
                {
                    _last = rest[^1];
                }

                Checked = unsent.Length;
                return !final || _last == (byte)'}';
            }

            var reader = new Utf8JsonReader(unsent[Checked..], final, state);
            try
            {
                while (reader.Read())
                {
                    if (!_rooted)
                    {
                        if (reader.TokenType != JsonTokenType.StartObject)
                        {
                            return false;
                        }

                        _rooted = true;
                    }
                    else if (reader.CurrentDepth == 0 && reader.TokenType == JsonTokenType.EndObject)
                    {
                        _complete = true;
                    }

                    if (_parsed + reader.BytesConsumed >= ParsedBytes && !_complete)
                    {
                        _framing = true;
                        break;
                    }
                }
            }
            catch (JsonException)
            {
                return false; // the reader's only way to say so, and trailing bytes after the object are one
            }

            Checked += (int)reader.BytesConsumed;
            _parsed += reader.BytesConsumed;
            state = reader.CurrentState;
            if (_framing)
            {
                return Advance(unsent, final);
            }

            return !final || _complete;
        }

        /// <summary>The first <paramref name="count"/> bytes went out and left the buffer.</summary>
        public void Sent(int count) => Checked = Math.Max(0, Checked - count);
    }
}
