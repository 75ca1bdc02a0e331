using System.Text.RegularExpressions;

using Gateway.Configuration.Model;

namespace Gateway.Guardrails.Detection.Recognisers;

/// <summary>IBANs: two letters, two check digits, then the account in groups; the length and mod-97 must check out.</summary>
internal static partial class IbanRecogniser
{
    // Tried only where two capitals and two digits start a word (found from the digits, which clean prose lacks).
    [GeneratedRegex(@"\G[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}(?![a-z0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex IbanCandidate();

    public static void Find(string text, List<PiiFinding> found)
    {
        Span<char> compact = stackalloc char[34];
        Span<int> ends = stackalloc int[34]; // where in the candidate each compact character ends
        var span = text.AsSpan();
        for (var digit = span.IndexOfAnyInRange('0', '9'); digit >= 0; digit = NextDigit(span, digit + 1))
        {
            var start = digit - 2;
            if (start < 0 || !char.IsAsciiLetterUpper(span[start]) || !char.IsAsciiLetterUpper(span[start + 1])
                || digit + 1 >= span.Length || !char.IsAsciiDigit(span[digit + 1]) || (start > 0 && char.IsAsciiLetterOrDigit(span[start - 1])))
            {
                continue;
            }

            foreach (var match in IbanCandidate().EnumerateMatches(span, start))
            {
                var candidate = span.Slice(match.Index, match.Length);
                if (AddIban(candidate, match.Index, found, compact, ends) is var end and > 0)
                {
                    digit = end - 1;
                }

                break;
            }
        }
    }

    private static int NextDigit(ReadOnlySpan<char> span, int from)
    {
        var next = from < span.Length ? span[from..].IndexOfAnyInRange('0', '9') : -1;
        return next < 0 ? -1 : from + next;
    }

    /// <summary>Adds the longest valid IBAN the candidate starts with; returns where it ends in the text, or 0.</summary>
    private static int AddIban(ReadOnlySpan<char> candidate, int index, List<PiiFinding> found, Span<char> compact, Span<int> ends)
    {
        var length = 0;
        for (var i = 0; i < candidate.Length && length < compact.Length; i++)
        {
            if (candidate[i] != ' ')
            {
                ends[length] = i + 1;
                compact[length++] = candidate[i];
            }
        }

        // The pattern may have run on into a following word in capitals: the longest valid prefix wins.
        for (var n = length; n >= 15; n--)
        {
            if (Validators.Iban(compact[..n]))
            {
                found.Add(new PiiFinding(PiiEntities.Iban, index, ends[n - 1], 0.99));
                return index + ends[n - 1];
            }
        }

        return 0;
    }
}
