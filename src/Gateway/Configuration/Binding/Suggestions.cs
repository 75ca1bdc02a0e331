namespace Gateway.Configuration.Binding;

/// <summary>"Did you mean …?" by edit distance.</summary>
internal static class Suggestions
{
    public static string DidYouMean(string input, IEnumerable<string> candidates)
    {
        var best = Closest(input, candidates);
        return best is null ? "" : $" (did you mean '{best}'?)";
    }

    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(input.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        var allowed = Math.Max(2, input.Length / 3);
        if (bestDistance <= allowed)
        {
            return best;
        }

        // A truncated or extended name ("max_body" for "max_body_size", "PHONE_NUMBER" for "PHONE").
        return candidates.FirstOrDefault(c => c.Length >= 3 && input.Length >= 3
            && (c.StartsWith(input, StringComparison.OrdinalIgnoreCase) || input.StartsWith(c, StringComparison.OrdinalIgnoreCase)));
    }

    // Optimal string alignment distance: Levenshtein plus adjacent transpositions ("tiemout").
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
