using System.Diagnostics;
using System.Text.Json;

namespace Gateway.Tracking.Store;

/// <summary>
/// Spans as the store's packed format 2 writes them: the attribute names the gateway itself sets as "~" and an
/// index into <see cref="KnownKeys"/>, and every span's start as microseconds after the first's. A row is compressed
/// alone, so the first use of each long name was paid on every row (about a third of a trace without bodies).
/// </summary>
internal static class SpanShorthand
{
    // Append only: stored rows name attributes by their index here. Names outside the list are stored whole.
    private static readonly string[] KnownKeys =
    [
        "gen_ai.operation.name", "gen_ai.system", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model",
        "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "http.response.status_code", "error.type",
        "gateway.endpoint", "gateway.user", "gateway.key_id", "gateway.provider", "gateway.attempt", "gateway.outcome",
        "gateway.time_to_first_token_ms", "gateway.rate_limit.store", "gateway.rate_limit.outcome",
        "gateway.rate_limit.reserved_tokens", "gateway.rate_limit.scope", "gateway.rate_limit.kind",
        "gateway.guardrail.names", "gateway.guardrail.findings_count", "gateway.guardrail.outcome",
        "gateway.guardrail.busy_ms", "gateway.guardrail.entities", "gateway.guardrail.findings", "gateway.guardrail.blocked",
    ];

    private static readonly Dictionary<string, string> Short = KnownKeys.Select((key, i) => (key, i))
        .ToDictionary(k => k.key, k => "~" + k.i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal);

    // A name of the caller's own that starts with "~" gets a second one, so it cannot read as an index.
    public static SpanRecord[] Shorten(IReadOnlyList<SpanRecord> spans) =>
        Rewrite(spans, key => Short.TryGetValue(key, out var code) ? code : key.StartsWith('~') ? "~" + key : key, shorten: true);

    public static SpanRecord[] Restore(IReadOnlyList<SpanRecord> stored) => Rewrite(stored, Name, shorten: false);

    /// <summary>
    /// Writes <paramref name="spans"/> as the JSON that serialising <see cref="Shorten"/> of their expanded records
    /// gives (snake_case names in the record's order, null parent written, ids in lower-case hex), without making them.
    /// </summary>
    public static void Write(Utf8JsonWriter writer, CompactSpan[] spans)
    {
        var first = spans.Length == 0 ? 0 : spans[0].StartedAtUs;
        Span<byte> id = stackalloc byte[8];
        Span<char> hex = stackalloc char[16];
        writer.WriteStartArray();
        for (var i = 0; i < spans.Length; i++)
        {
            var span = spans[i];
            writer.WriteStartObject();
            writer.WriteString("name"u8, span.Name);
            span.Id.CopyTo(id);
            Convert.TryToHexStringLower(id, hex, out _);
            writer.WriteString("span_id"u8, hex);
            if (span.Parent == default)
            {
                writer.WriteNull("parent_span_id"u8);
            }
            else
            {
                span.Parent.CopyTo(id);
                Convert.TryToHexStringLower(id, hex, out _);
                writer.WriteString("parent_span_id"u8, hex);
            }

            writer.WriteNumber("started_at_us"u8, i == 0 ? first : span.StartedAtUs - first);
            writer.WriteNumber("duration_ms"u8, span.DurationMs);
            writer.WriteString("status"u8, span.Status switch { ActivityStatusCode.Error => "ERROR", ActivityStatusCode.Ok => "OK", _ => "UNSET" });
            writer.WriteStartObject("attributes"u8);
            foreach (var (key, value) in span.Tags)
            {
                writer.WritePropertyName(Short.TryGetValue(key, out var code) ? code : key.StartsWith('~') ? "~" + key : key);
                WriteValue(writer, value);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case int number:
                writer.WriteNumberValue(number);
                break;
            case long number:
                writer.WriteNumberValue(number);
                break;
            case double number:
                writer.WriteNumberValue(number);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            default:
                try
                {
                    JsonSerializer.Serialize(writer, value, TrackingJson.Default.Options); // what the records' serialiser does with any other value
                }
                catch (NotSupportedException)
                {
                    // A type the serialiser cannot write must not stop the writer: the span keeps it as text.
                    writer.WriteStringValue(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                }

                break;
        }
    }

    private static SpanRecord[] Rewrite(IReadOnlyList<SpanRecord> spans, Func<string, string> name, bool shorten)
    {
        var first = spans.Count == 0 ? 0 : spans[0].StartedAtUs;
        var rewritten = new SpanRecord[spans.Count];
        for (var i = 0; i < spans.Count; i++)
        {
            var span = spans[i];
            var attributes = new Dictionary<string, object?>(span.Attributes.Count, StringComparer.Ordinal);
            foreach (var (key, value) in span.Attributes)
            {
                attributes[name(key)] = value;
            }

            var start = i == 0 ? first : shorten ? span.StartedAtUs - first : first + span.StartedAtUs;
            rewritten[i] = span with { StartedAtUs = start, Attributes = attributes };
        }

        return rewritten;
    }

    private static string Name(string stored)
    {
        if (!stored.StartsWith('~'))
        {
            return stored;
        }

        if (stored.Length > 1 && stored[1] == '~')
        {
            return stored[1..];
        }

        return int.TryParse(stored.AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) && index < KnownKeys.Length
            ? KnownKeys[index]
            : throw new InvalidDataException($"a trace's packed spans name attribute {stored}, which this gateway does not know");
    }
}
