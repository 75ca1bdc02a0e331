using System.Text;

namespace Gateway.Tracking;

internal static class Utf8Text
{
    /// <summary>
    /// The first <paramref name="maxChars"/> characters of UTF-8 text, decoding only those: the cut is found by
    /// counting lead bytes (a character never splits), so a 1,000-character preview of a 1 MB body costs 1,000.
    /// </summary>
    public static string Prefix(ReadOnlySpan<byte> utf8, int maxChars)
    {
        var end = PrefixLength(utf8, maxChars, out var ascii);
        return ascii ? Encoding.ASCII.GetString(utf8[..end]) : Encoding.UTF8.GetString(utf8[..end]);
    }

    /// <summary>How many bytes the first <paramref name="maxChars"/> characters take (never a split character).</summary>
    public static int PrefixLength(ReadOnlySpan<byte> utf8, int maxChars) => PrefixLength(utf8, maxChars, out _);

    private static int PrefixLength(ReadOnlySpan<byte> utf8, int maxChars, out bool ascii)
    {
        // Mostly ASCII (JSON): one vectorised search settles it.
        var firstNonAscii = utf8.IndexOfAnyExceptInRange((byte)0, (byte)0x7F);
        if (firstNonAscii < 0 || firstNonAscii >= maxChars)
        {
            ascii = true;
            return Math.Min(maxChars, utf8.Length);
        }

        ascii = false;
        var chars = firstNonAscii;
        var end = firstNonAscii;
        while (end < utf8.Length)
        {
            var lead = utf8[end];
            var length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            var width = length == 4 ? 2 : 1; // a character outside the BMP is two UTF-16 chars
            if (chars + width > maxChars || end + length > utf8.Length)
            {
                break;
            }

            chars += width;
            end += length;
        }

        return end;
    }
}
