using System.Buffers;
using System.IO.Compression;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Gateway.Tracking.Store;

/// <summary>
/// A trace's detail as the store keeps it: its spans (as JSON), and apart from them its captured bodies (retention
/// clears bodies sooner; as two length-prefixed UTF-8 texts by BinaryWriter, so a JSON body is not escaped into JSON again), each
/// Brotli-compressed behind a format byte. Stored as plain JSON the spans were half of a traced row (about 2 KB of
/// 4.3 KB with previews); packed, in <see cref="SpanShorthand"/>, about a fifth of that. Only the trace API reads
/// them, one trace at a time; summaries, usage and rollups never do.
/// </summary>
internal static class TracePacking
{
    // Formats: 1, Brotli of the JSON (spans) or of the length-prefixed texts (bodies); 2, spans in SpanShorthand.
    private const byte Brotli = 1;
    private const byte BrotliShorthand = 2;

    // Quality 2: on a real trace's 1.4 KB of spans, 9 µs and 505 bytes, against quality 3's 16 µs and 483 bytes (design
    // 0008): most of a small input's cost is the encoder's set-up, which grows with quality. The window fits a row.
    private const int Quality = 2;
    private const int Window = 18;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    // Stored for this gateway alone: no HTML-safe escaping of quotes and angle brackets, which only costs bytes.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] PackSpans(IReadOnlyList<SpanRecord> spans) => Pack(SpanShorthand.Shorten(spans), TrackingJson.Default.IReadOnlyListSpanRecord, BrotliShorthand);

    /// <summary>
    /// The same bytes as <see cref="PackSpans(IReadOnlyList{SpanRecord})"/> of the expanded spans, written straight from
    /// what the request path kept: no records, attribute dictionaries or id strings on the writer (they were an
    /// eighth of what a traced request allocated).
    /// </summary>
    public static byte[] PackSpans(CompactSpan[] spans)
    {
        if (Array.Exists(spans, span => HasDuplicateTags(span.Tags)))
        {
            return PackSpans(CompactSpan.Expand(spans)); // a tag added twice: the dictionary's last-wins, as before
        }

        var json = Scratch();
        using (var writer = new Utf8JsonWriter(json, WriterOptions))
        {
            SpanShorthand.Write(writer, spans);
        }

        return Compress(json.WrittenSpan, BrotliShorthand);
    }

    private static bool HasDuplicateTags(KeyValuePair<string, object?>[] tags)
    {
        for (var i = 1; i < tags.Length; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(tags[i].Key, tags[j].Key, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    public static IReadOnlyList<SpanRecord> UnpackSpans(byte[] packed)
    {
        var spans = JsonSerializer.Deserialize(Decompress(packed, Brotli, BrotliShorthand), TrackingJson.Default.IReadOnlyListSpanRecord) ?? [];
        return packed[0] == BrotliShorthand ? SpanShorthand.Restore(spans) : spans;
    }

    /// <summary>Null when nothing was captured.</summary>
    public static byte[]? PackBodies(string? request, string? response)
    {
        if (request is null && response is null)
        {
            return null;
        }

        // BinaryWriter's layout (BinaryReader reads it back): a flag, then the UTF-8 length in 7-bit groups and the bytes.
        var text = Scratch();
        foreach (var body in (ReadOnlySpan<string?>)[request, response])
        {
            text.Write([(byte)(body is null ? 0 : 1)]);
            if (body is not null)
            {
                var length = (uint)Encoding.UTF8.GetByteCount(body);
                for (; length >= 0x80; length >>= 7)
                {
                    text.Write([(byte)(length | 0x80)]);
                }

                text.Write([(byte)length]);
                Encoding.UTF8.GetBytes(body, text);
            }
        }

        return Compress(text.WrittenSpan, Brotli);
    }

    public static PackedBodies UnpackBodies(byte[] packed)
    {
        using var reader = new BinaryReader(new MemoryStream(Decompress(packed, Brotli, Brotli), writable: false), Encoding.UTF8);
        try
        {
            return new PackedBodies(reader.ReadBoolean() ? reader.ReadString() : null, reader.ReadBoolean() ? reader.ReadString() : null);
        }
        catch (Exception exception) when (exception is EndOfStreamException or FormatException)
        {
            throw new InvalidDataException("a trace's packed bodies end before their lengths say", exception);
        }
    }

    private static byte[] Pack<T>(T value, JsonTypeInfo<T> type, byte format)
    {
        var json = Scratch();
        using (var writer = new Utf8JsonWriter(json, WriterOptions))
        {
            JsonSerializer.Serialize(writer, value, type);
        }

        return Compress(json.WrittenSpan, format);
    }

    /// <summary>The writer thread's buffer for a row's text before it is compressed: one per thread, reused row after row.</summary>
    private static ArrayBufferWriter<byte> Scratch()
    {
        var scratch = t_scratch;
        if (scratch is null || scratch.Capacity > 1024 * 1024)
        {
            t_scratch = scratch = new ArrayBufferWriter<byte>(8192); // a full capture's row does not stay pinned to the thread
        }

        scratch.ResetWrittenCount();
        return scratch;
    }

    private static byte[] Compress(ReadOnlySpan<byte> data, byte format)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 + BrotliEncoder.GetMaxCompressedLength(data.Length));
        try
        {
            buffer[0] = format;
            if (!BrotliEncoder.TryCompress(data, buffer.AsSpan(1), out var written, Quality, Window))
            {
                throw new InvalidOperationException("Brotli could not compress a trace's detail into its maximum compressed length.");
            }

            return buffer.AsSpan(0, 1 + written).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] Decompress(byte[] packed, byte oldest, byte newest)
    {
        if (packed.Length == 0 || packed[0] < oldest || packed[0] > newest)
        {
            throw new InvalidDataException($"a trace's packed detail has format {(packed.Length == 0 ? "none" : packed[0].ToString(System.Globalization.CultureInfo.InvariantCulture))}, which this gateway does not know");
        }

        using var brotli = new BrotliStream(new MemoryStream(packed, 1, packed.Length - 1, writable: false), CompressionMode.Decompress);
        using var data = new MemoryStream(packed.Length * 4);
        brotli.CopyTo(data);
        return data.ToArray();
    }
}

/// <summary>The captured request and response of one trace, as packed together.</summary>
internal sealed record PackedBodies(string? RequestBody, string? ResponseBody);
