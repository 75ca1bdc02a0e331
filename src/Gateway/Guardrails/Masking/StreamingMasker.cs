using Gateway.Guardrails.Detection;

namespace Gateway.Guardrails.Masking;

/// <summary>
/// Masks an answer that arrives in pieces, so that an entity split across two pieces is still found. Text goes out
/// as soon as nothing after it could still change what it is: only the unfinished tail is held back — the last
/// word (which could be an e-mail's local part or a key), a run of digit groups that could still grow into a card,
/// IBAN or phone number, or an unclosed PEM block — at most <see cref="MaxHeld"/> characters
/// (<see cref="MaxHeldPem"/> for a PEM block). The end of the answer flushes the rest.
/// </summary>
internal sealed class StreamingMasker(Action<string, List<PiiFinding>> detect, Func<string, IReadOnlyList<PiiFinding>, string> mask)
{
    /// <summary>The most held for anything but a PEM block: longer than any e-mail (254), IBAN or phone number.</summary>
    public const int MaxHeld = 320;

    public const int MaxHeldPem = 16 * 1024;

    private readonly List<PiiFinding> _findings = [];
    private string _pending = "";

    /// <summary>The masked text that can go out now.</summary>
    public string Push(string piece)
    {
        var text = _pending + piece;
        var hold = HeldFrom(text);
        _findings.Clear();
        detect(text, _findings);
        // An entity found across the boundary is held whole.
        foreach (var finding in _findings)
        {
            if (finding.Start < hold && finding.End > hold)
            {
                hold = finding.Start;
            }
        }

        _pending = text[hold..];
        if (hold == 0)
        {
            return "";
        }

        var ready = text[..hold];
        var inside = _findings.Where(f => f.End <= hold).ToList();
        return mask(ready, inside);
    }

    /// <summary>The end of the answer: the held tail, masked.</summary>
    public string Flush()
    {
        var text = _pending;
        _pending = "";
        _findings.Clear();
        detect(text, _findings);
        return mask(text, _findings);
    }

    /// <summary>Where the tail that could still become (part of) an entity starts.</summary>
    internal static int HeldFrom(string text)
    {
        var pem = text.LastIndexOf("-----BEGIN", StringComparison.Ordinal);
        if (pem >= 0 && text.IndexOf("-----END", pem, StringComparison.Ordinal) < 0 && text.Length - pem <= MaxHeldPem)
        {
            return pem;
        }

        var start = text.Length;
        // The last word, in the characters entities are written with.
        while (start > 0 && text.Length - start < MaxHeld && IsEntityChar(text[start - 1]))
        {
            start--;
        }

        // Groups of digits (or capitals and digits, for IBANs) separated by single spaces or dashes, as cards,
        // IBANs and phone numbers are written: the whole run could still grow into one.
        while (start > 1 && text.Length - start < MaxHeld && text[start - 1] is ' ' or '-' or '(' or ')' && IsGroupChar(text[start - 2]) && GroupHasDigit(text, start - 2))
        {
            start--;
            while (start > 0 && text.Length - start < MaxHeld && (IsGroupChar(text[start - 1]) || text[start - 1] is '+' or '(' or ')'))
            {
                start--;
            }
        }

        return text.Length - start >= MaxHeld ? text.Length : start;
    }

    private static bool IsEntityChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '%' or '+' or '-' or '@' or ':' or '/' or '=';

    private static bool IsGroupChar(char c) => char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c);

    private static bool GroupHasDigit(string text, int end)
    {
        for (var i = end; i >= 0 && IsGroupChar(text[i]); i--)
        {
            if (char.IsAsciiDigit(text[i]))
            {
                return true;
            }
        }

        return false;
    }
}
