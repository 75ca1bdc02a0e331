using System.Text.RegularExpressions;

namespace Gateway.Guardrails.Detection.Recognisers;

/// <summary>
/// The admin's patterns from gateway.yaml (<see cref="CustomPattern"/>), reported under their own names: each match
/// that its validator accepts, its score moved by the pattern's context and negative-context words.
/// </summary>
internal static class CustomPatternRecogniser
{
    public static void Find(CustomPattern pattern, string text, List<PiiFinding> found)
    {
        var span = text.AsSpan();
        try
        {
            foreach (var match in pattern.Regex.EnumerateMatches(span))
            {
                if (match.Length == 0 || !pattern.Validate(span.Slice(match.Index, match.Length)))
                {
                    continue;
                }

                var end = match.Index + match.Length;
                var score = pattern.Score;
                if (ContextWords.Around(span, match.Index, end, pattern.Context))
                {
                    score += CustomPattern.ContextWeight;
                }

                if (ContextWords.Around(span, match.Index, end, pattern.NegativeContext))
                {
                    score -= CustomPattern.ContextWeight;
                }

                found.Add(new PiiFinding(pattern.Name, match.Index, match.Length, Math.Clamp(score, 0, 1)));
            }
        }
        catch (RegexMatchTimeoutException)
        {
            // A backtracking pattern ran out of time on this text: what it found before stands.
        }
    }
}
