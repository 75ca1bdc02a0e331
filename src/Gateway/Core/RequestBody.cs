using System.Buffers;
using Gateway.Errors;
using Microsoft.AspNetCore.Http;

namespace Gateway.Core;

/// <summary>
/// The request body, read once into a pooled buffer that every stage shares. Returned to the pool
/// when the request ends.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    private byte[] _buffer;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; private set; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>A body from bytes already in hand (benchmarks, tests).</summary>
    public static RequestBody Copy(ReadOnlySpan<byte> content)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(content.Length, 1));
        content.CopyTo(buffer);
        return new RequestBody(buffer, content.Length);
    }

    /// <summary>Reads the whole body, or fails with 413 as soon as it passes <paramref name="limit"/> bytes.</summary>
    public static async ValueTask<(RequestBody? Body, GatewayError? Error)> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        var declared = request.ContentLength;
        if (declared > limit)
        {
            return (null, GatewayErrors.BodyTooLarge(limit));
        }

        var capacity = (int)Math.Min(declared ?? 16 * 1024, limit + 1);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 1));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return (null, GatewayErrors.BodyTooLarge(limit));
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        if (length > limit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, GatewayErrors.BodyTooLarge(limit));
        }

        return (new RequestBody(buffer, length), null);
    }

    /// <summary>From now on the body is <paramref name="content"/> (a guardrail masked it): every later stage, and the trace, sees only that.</summary>
    public void Replace(ReadOnlySpan<byte> content)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(content.Length, 1));
        content.CopyTo(buffer);
        var old = Interlocked.Exchange(ref _buffer, buffer);
        Length = content.Length;
        if (old.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(old);
        }
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
