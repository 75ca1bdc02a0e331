namespace Gateway.Guardrails.Detection.Recognisers;

/// <summary>
/// Words near a finding that move its score: "call" before a number makes a phone surer, "order" makes it an order
/// number; an admin's pattern names its own.
/// </summary>
internal static class ContextWords
{
    /// <summary>How many characters either side of a finding count as its context.</summary>
    public const int Window = 40;

    /// <summary>Whether one of the words appears within the context window before a finding.</summary>
    public static bool Before(ReadOnlySpan<char> span, int start, params string[] words)
    {
        var before = span[Math.Max(0, start - Window)..start];
        return ContainsAny(before, words);
    }

    /// <summary>Whether one of the words appears within the context window before or after a finding.</summary>
    public static bool Around(ReadOnlySpan<char> span, int start, int end, string[] words) =>
        words.Length > 0 && (ContainsAny(span[Math.Max(0, start - Window)..start], words) || ContainsAny(span[end..Math.Min(span.Length, end + Window)], words));

    private static bool ContainsAny(ReadOnlySpan<char> text, string[] words)
    {
        foreach (var word in words)
        {
            if (text.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
