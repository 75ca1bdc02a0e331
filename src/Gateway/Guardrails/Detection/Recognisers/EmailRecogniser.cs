using System.Buffers;

using Gateway.Configuration.Model;

namespace Gateway.Guardrails.Detection.Recognisers;

/// <summary>E-mail addresses: from each '@', outwards over what a local part and a domain may hold.</summary>
internal static class EmailRecogniser
{
    private static readonly SearchValues<char> AsciiLetters = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

    public static void Find(string text, List<PiiFinding> found)
    {
        var span = text.AsSpan();
        for (var at = span.IndexOf('@'); at >= 0; at = NextIndex(span, '@', at + 1))
        {
            var start = at;
            while (start > 0 && at - start < 64 && IsLocalChar(span[start - 1]))
            {
                start--;
            }

            while (start < at && span[start] == '.')
            {
                start++;
            }

            var end = at + 1;
            while (end < span.Length && end - at <= 253 && (char.IsAsciiLetterOrDigit(span[end]) || span[end] is '.' or '-'))
            {
                end++;
            }

            while (end > at + 1 && span[end - 1] is '.' or '-')
            {
                end--; // the end of a sentence, not of the domain
            }

            if (start < at && IsDomain(span[(at + 1)..end]) && span[start..at].IndexOf("..", StringComparison.Ordinal) < 0)
            {
                found.Add(new PiiFinding(PiiEntities.Email, start, end - start, 0.97));
            }
        }
    }

    private static bool IsLocalChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '%' or '+' or '-';

    private static bool IsDomain(ReadOnlySpan<char> domain)
    {
        var lastDot = domain.LastIndexOf('.');
        if (lastDot <= 0 || domain.Length - lastDot - 1 < 2 || domain[(lastDot + 1)..].ContainsAnyExcept(AsciiLetters))
        {
            return false;
        }

        if (IsFileExtension(domain[(lastDot + 1)..]))
        {
            return false; // "icon@2x.png" is an image, not an address
        }

        foreach (var range in domain.Split('.'))
        {
            var label = domain[range];
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>File extensions that are no top-level domain.</summary>
    private static bool IsFileExtension(ReadOnlySpan<char> topLevel)
    {
        if (topLevel.Length > 4)
        {
            return false;
        }

        Span<char> lower = stackalloc char[4];
        var length = topLevel.ToLowerInvariant(lower);
        return lower[..length] switch
        {
            "png" or "jpg" or "jpeg" or "gif" or "svg" or "webp" or "ico" or "bmp" or "tif" or "tiff" or "heic" or "pdf" or "css" or "js" or "json" or "yaml" or "yml" or "txt" or "csv" or "log" or "html" or "htm" or "xml" or "lock" => true,
            _ => false,
        };
    }

    private static int NextIndex(ReadOnlySpan<char> span, char value, int from)
    {
        var next = from < span.Length ? span[from..].IndexOf(value) : -1;
        return next < 0 ? -1 : from + next;
    }
}
