using System.Buffers;
using System.Text.Json;
using Gateway.Errors;

namespace Gateway.Guardrails.Json;

/// <summary>A string value to write in place of a token.</summary>
internal readonly record struct JsonEdit(int TokenStart, int TokenLength, string Value);

/// <summary>Rewrites a JSON document by splicing: the edited string tokens are replaced, every other byte is kept as it came.</summary>
internal static class JsonEdits
{
    /// <summary>The document with <paramref name="edits"/> (in document order, not overlapping) applied.</summary>
    public static void Apply(ReadOnlySpan<byte> json, IReadOnlyList<JsonEdit> edits, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, GatewayJson.WriterOptions);
        var at = 0;
        foreach (var edit in edits)
        {
            output.Write(json[at..edit.TokenStart]);
            writer.Reset(output);
            writer.WriteStringValue(edit.Value);
            writer.Flush();
            at = edit.TokenStart + edit.TokenLength;
        }

        output.Write(json[at..]);
    }
}
