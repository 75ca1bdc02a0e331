using System.Net;
using System.Net.Sockets;

using Gateway.Configuration.Model;

namespace Gateway.Guardrails.Detection.Recognisers;

/// <summary>
/// IP addresses. IPv6 is found from each ':', outwards over hex digits and colons, and parsed; IPv4 comes from the
/// runs of digits (<see cref="NumberTokenRecogniser"/>), which tell it here whether four dotted numbers are one.
/// </summary>
internal static class IpAddressRecogniser
{
    public static void FindIpv6(string text, List<PiiFinding> found)
    {
        var span = text.AsSpan();
        var from = 0;
        while (from < span.Length)
        {
            var colon = span[from..].IndexOf(':');
            if (colon < 0)
            {
                return;
            }

            colon += from;
            var start = colon;
            while (start > 0 && (char.IsAsciiHexDigit(span[start - 1]) || span[start - 1] is ':' or '.'))
            {
                start--;
            }

            var end = colon;
            while (end < span.Length && (char.IsAsciiHexDigit(span[end]) || span[end] is ':' or '.'))
            {
                end++;
            }

            from = end + 1;
            while (end > start && span[end - 1] == '.')
            {
                end--;
            }

            var candidate = span[start..end];
            var standsAlone = (start == 0 || !char.IsLetterOrDigit(span[start - 1])) && (end == span.Length || !char.IsLetterOrDigit(span[end]));
            if (standsAlone && candidate.Count(':') >= 2 && !LooksLikeTime(candidate)
                && IPAddress.TryParse(candidate, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                found.Add(new PiiFinding(PiiEntities.IpAddress, start, end - start, 0.95));
            }
        }
    }

    /// <summary>Whether four dotted numbers are an IPv4 address: each 0–255, no leading zeros.</summary>
    public static bool IsIpv4(ReadOnlySpan<char> token)
    {
        foreach (var range in token.Split('.'))
        {
            var part = token[range];
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') || int.Parse(part, System.Globalization.CultureInfo.InvariantCulture) > 255)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An IPv4 address's score: "version 1.2.3.4" is a version number.</summary>
    public static double Ipv4Score(ReadOnlySpan<char> span, int start) => FollowsWord(span, start, "version") ? 0.3 : 0.9;

    private static bool FollowsWord(ReadOnlySpan<char> span, int start, string word)
    {
        var before = span[Math.Max(0, start - 12)..start].TrimEnd();
        return before.EndsWith(word, StringComparison.OrdinalIgnoreCase) || before.EndsWith("v", StringComparison.OrdinalIgnoreCase)
            || before.EndsWith("ver", StringComparison.OrdinalIgnoreCase) || before.EndsWith("version:", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>10:30:45 and the like: decimal groups of at most two digits, no "::".</summary>
    private static bool LooksLikeTime(ReadOnlySpan<char> candidate)
    {
        if (candidate.Contains("::", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var range in candidate.Split(':'))
        {
            var part = candidate[range];
            if (part.Length > 2 || part.ContainsAnyExceptInRange('0', '9'))
            {
                return false;
            }
        }

        return true;
    }
}
