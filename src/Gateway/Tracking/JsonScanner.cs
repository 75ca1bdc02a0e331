namespace Gateway.Tracking;

/// <summary>
/// Finds a property's value in JSON bytes by its quoted name, without parsing: for a head or tail of an answer
/// that is not whole JSON on its own, where a reader would stop at the cut.
/// </summary>
internal static class JsonScanner
{
    /// <summary>Where the value of a property starts, by its quoted name (not one inside a string: no backslash before it).</summary>
    public static int? FindValue(ReadOnlySpan<byte> json, ReadOnlySpan<byte> quotedName, bool last)
    {
        var limit = json.Length; // last: search before this
        var from = 0; // first: search from here
        while (true)
        {
            var at = last ? json[..limit].LastIndexOf(quotedName) : json[from..].IndexOf(quotedName) is var i and >= 0 ? from + i : -1;
            if (at < 0)
            {
                return null;
            }

            var next = SkipSpace(json, at + quotedName.Length);
            var escaped = at > 0 && json[at - 1] == (byte)'\\';
            if (!escaped && next < json.Length && json[next] == (byte)':')
            {
                var value = SkipSpace(json, next + 1);
                return value < json.Length ? value : null;
            }

            limit = at;
            from = at + 1;
        }
    }

    private static int SkipSpace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            i++;
        }

        return i;
    }
}
