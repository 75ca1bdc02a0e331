namespace Gateway.Guardrails.Masking;

/// <summary>
/// Restores placeholders in an answer that arrives in pieces (an SSE stream's deltas), where a placeholder may be
/// split across two pieces ("&lt;EMA" + "IL_1&gt;"). Only a tail that could still become one of this request's
/// placeholders is held back: at most the longest placeholder's length, and only after a '&lt;'; all other text
/// goes out at once.
/// </summary>
/// <param name="inJson">The text is JSON (tool-call arguments): values go back escaped (see <see cref="PiiMasking.Restore"/>).</param>
internal sealed class StreamingRestorer(PlaceholderVault vault, bool inJson = false)
{
    private string _held = "";

    /// <summary>The text of <paramref name="piece"/> that can go out now, restored.</summary>
    public string Push(string piece)
    {
        var text = _held.Length == 0 ? piece : _held + piece;
        var keep = HeldTail(text);
        _held = text[^keep..];
        return PiiMasking.Restore(text[..^keep], vault, inJson);
    }

    /// <summary>The end of the answer: whatever was held goes out as it is.</summary>
    public string Flush()
    {
        var rest = PiiMasking.Restore(_held, vault, inJson);
        _held = "";
        return rest;
    }

    /// <summary>How many trailing characters could be the start of a placeholder (a '&lt;', capitals, '_', digits, no '&gt;' yet).</summary>
    private int HeldTail(string text)
    {
        if (vault.Count == 0)
        {
            return 0;
        }

        var open = text.LastIndexOf('<');
        if (open < 0 || text.Length - open >= vault.LongestPlaceholder)
        {
            return 0;
        }

        for (var i = open + 1; i < text.Length; i++)
        {
            if (!(char.IsAsciiLetterUpper(text[i]) || char.IsAsciiDigit(text[i]) || text[i] == '_'))
            {
                return 0;
            }
        }

        return text.Length - open;
    }
}
