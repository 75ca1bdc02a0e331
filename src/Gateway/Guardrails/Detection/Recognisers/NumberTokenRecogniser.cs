using System.Buffers;

using Gateway.Configuration.Model;

namespace Gateway.Guardrails.Detection.Recognisers;

/// <summary>
/// Runs of digits with single separators between them, each read once and offered to the recognisers that are made
/// of digits: dotted ones to <see cref="IpAddressRecogniser"/>, the rest to <see cref="CreditCardRecogniser"/> and
/// then <see cref="UsSsnRecogniser"/>. A run glued to a word is an identifier and is skipped.
/// </summary>
internal static class NumberTokenRecogniser
{
    public static readonly SearchValues<char> Digits = SearchValues.Create("0123456789");

    /// <param name="entities">The entity types asked for; only theirs are reported.</param>
    public static void Find(string text, HashSet<string> entities, List<PiiFinding> found)
    {
        var span = text.AsSpan();
        Span<char> buffer = stackalloc char[19];
        var i = 0;
        while (i < span.Length)
        {
            var next = span[i..].IndexOfAny(Digits);
            if (next < 0)
            {
                return;
            }

            var start = i + next;
            var end = ReadNumberToken(span, start, out var separator, out var groups, out var digitCount);
            i = end;
            var standsAlone = (start == 0 || !IsWordChar(span[start - 1])) && (end == span.Length || !IsWordChar(span[end]));
            if (!standsAlone)
            {
                continue;
            }

            var token = span[start..end];
            if (separator == '.')
            {
                if (entities.Contains(PiiEntities.IpAddress) && groups == 4 && IpAddressRecogniser.IsIpv4(token))
                {
                    found.Add(new PiiFinding(PiiEntities.IpAddress, start, end - start, IpAddressRecogniser.Ipv4Score(span, start)));
                }

                continue;
            }

            if (digitCount > buffer.Length)
            {
                continue; // longer than any card, SSN or IP: an id, a hash, a number
            }

            var digits = buffer[..digitCount];
            var d = 0;
            foreach (var c in token)
            {
                if (char.IsAsciiDigit(c))
                {
                    digits[d++] = c;
                }
            }

            // After a '+' the digits are an international phone number, whatever else they would pass for.
            var international = start > 0 && span[start - 1] == '+';
            if (entities.Contains(PiiEntities.CreditCard) && !international && CreditCardRecogniser.Matches(digits, separator, groups))
            {
                found.Add(new PiiFinding(PiiEntities.CreditCard, start, end - start, CreditCardRecogniser.Score));
            }
            else if (entities.Contains(PiiEntities.UsSsn) && !international && UsSsnRecogniser.Matches(digits))
            {
                found.Add(new PiiFinding(PiiEntities.UsSsn, start, end - start, UsSsnRecogniser.Score(span, token, start, separator, groups)));
            }
        }
    }

    /// <summary>Digits with single separators (one kind: space, '-' or '.') between them; returns where the run ends.</summary>
    private static int ReadNumberToken(ReadOnlySpan<char> span, int start, out char separator, out int groups, out int digitCount)
    {
        separator = '\0';
        groups = 1;
        digitCount = 0;
        var i = start;
        while (i < span.Length)
        {
            if (char.IsAsciiDigit(span[i]))
            {
                digitCount++;
                i++;
                continue;
            }

            var c = span[i];
            if (c is ' ' or '-' or '.' && (separator == '\0' || separator == c) && i + 1 < span.Length && char.IsAsciiDigit(span[i + 1]))
            {
                separator = c;
                groups++;
                i++;
                continue;
            }

            break;
        }

        return i;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '/' or '\\' or '#' or '@';
}
