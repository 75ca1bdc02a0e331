using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gateway.Guardrails.Detection;

namespace Gateway.Guardrails.Masking;

/// <summary>Replacing what the detector found, and putting it back.</summary>
internal static class PiiMasking
{
    /// <summary>Each finding becomes its placeholder from <paramref name="vault"/> (restorable).</summary>
    public static string Mask(string text, IReadOnlyList<PiiFinding> findings, PlaceholderVault vault) =>
        Replace(text, findings, f => vault.PlaceholderFor(f.Entity, text.Substring(f.Start, f.Length)));

    /// <summary>Each finding becomes its entity type (<c>&lt;EMAIL&gt;</c>): not restorable.</summary>
    public static string Redact(string text, IReadOnlyList<PiiFinding> findings) =>
        Replace(text, findings, f => $"<{f.Entity}>");

    /// <summary>Puts the original values back wherever a placeholder of this request appears.</summary>
    /// <param name="inJson">
    /// The text is JSON (tool-call arguments), where a placeholder stands inside a string: values are put back
    /// escaped, so a quote or a PEM block's line breaks cannot break the arguments.
    /// </param>
    public static string Restore(string text, PlaceholderVault vault, bool inJson = false)
    {
        if (vault.Count == 0 || !text.Contains('<', StringComparison.Ordinal))
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        var span = text.AsSpan();
        var i = 0;
        while (i < span.Length)
        {
            var open = span[i..].IndexOf('<');
            if (open < 0)
            {
                result.Append(span[i..]);
                break;
            }

            open += i;
            result.Append(span[i..open]);
            var close = span[open..].IndexOf('>');
            if (close > 0 && vault.TryGetValue(span.Slice(open, close + 1), out var value))
            {
                result.Append(inJson ? JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value : value);
                i = open + close + 1;
            }
            else
            {
                result.Append('<');
                i = open + 1;
            }
        }

        return result.ToString();
    }

    private static string Replace(string text, IReadOnlyList<PiiFinding> findings, Func<PiiFinding, string> replacement)
    {
        if (findings.Count == 0)
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        var at = 0;
        foreach (var finding in findings)
        {
            result.Append(text, at, finding.Start - at).Append(replacement(finding));
            at = finding.End;
        }

        return result.Append(text, at, text.Length - at).ToString();
    }
}
