using PhoneNumbers;

using Gateway.Configuration.Model;

namespace Gateway.Guardrails.Detection.Recognisers;

/// <summary>
/// Phone numbers: libphonenumber finds and validates them (numbering plans per country), over the stretches of the
/// text that could hold one; context words move the score. One instance per detector: it holds the region.
/// </summary>
/// <param name="region">ISO country whose national phone formats count (numbers with a + prefix count from anywhere).</param>
/// <param name="thresholds">The detector's thresholds, by entity, to know which findings will stand.</param>
internal sealed class PhoneRecogniser(string region, Dictionary<string, double> thresholds)
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    private static readonly string[] PhoneContext = ["phone", "tel", "call", "mobile", "cell", "fax", "whatsapp", "sms", "text me", "reach me"];
    private static readonly string[] PhoneNegativeContext = ["order", "invoice", "tracking", "serial", "ticket", "sku", "ref", "isbn", "part no"];

    /// <param name="found">What the other recognisers found so far: a number they already hold is not looked at.</param>
    public void Find(string text, List<PiiFinding> found)
    {
        // libphonenumber's matcher is costly per character: it runs only over the stretches that could hold a
        // number (digits and the characters numbers are written with, at least 7 digits), with a little context.
        var span = text.AsSpan();
        var from = 0;
        while (from < span.Length)
        {
            var first = span[from..].IndexOfAnyInRange('0', '9');
            if (first < 0)
            {
                return;
            }

            var start = from + first;
            var end = start;
            var lastDigitEnd = start;
            var digits = 0;
            while (end < span.Length && (char.IsAsciiDigit(span[end]) || IsPhonePunctuation(span[end])))
            {
                if (char.IsAsciiDigit(span[end]))
                {
                    digits++;
                    lastDigitEnd = end + 1;
                }

                end++;
            }

            from = end + 1;
            if (digits < 7 || IsCoveredBySurerFinding(found, start, lastDigitEnd) || IsCreatedTimestamp(span, start, lastDigitEnd, digits))
            {
                continue; // no phone number has fewer digits; a validated card, IBAN, SSN or IP would win anyway
            }

            // The '+' and '(' before the first digit belong to the number; a word before it is context.
            var windowStart = Math.Max(0, start - 2);
            while (windowStart > 0 && IsPhonePunctuation(span[windowStart - 1]))
            {
                windowStart--;
            }

            var windowEnd = Math.Min(span.Length, end + 16); // room for an extension: "ext. 3", "x1234"
            FindPhonesIn(text, windowStart, windowEnd, found);
        }
    }

    /// <summary>Whether a finding that outranks a phone number (and passes its threshold) already spans these digits.</summary>
    private bool IsCoveredBySurerFinding(List<PiiFinding> found, int start, int end)
    {
        foreach (var finding in found)
        {
            if (finding.Start <= start && finding.End >= end && finding.Entity != PiiEntities.Phone
                && finding.Score >= thresholds.GetValueOrDefault(finding.Entity, PiiDetector.DefaultThreshold))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The timestamp of an OpenAI object (<c>"created":1732000000</c>): every captured answer has one, and the matcher
    /// would spend tens of microseconds on it in every trace's redaction. Only that member: any other number in JSON
    /// (a tool's argument, say) may be a phone number and is looked at.
    /// </summary>
    private static bool IsCreatedTimestamp(ReadOnlySpan<char> text, int start, int end, int digits) =>
        digits == end - start && text[..start].EndsWith("\"created\":", StringComparison.Ordinal)
        && (end == text.Length || text[end] is ',' or '}');

    private static bool IsPhonePunctuation(char c) => c is ' ' or '-' or '.' or '(' or ')' or '+' or '/' or '\u00A0';

    private void FindPhonesIn(string text, int windowStart, int windowEnd, List<PiiFinding> found)
    {
        var window = text[windowStart..windowEnd];
        foreach (var match in Phones.FindNumbers(window, region, PhoneNumberUtil.Leniency.VALID, long.MaxValue))
        {
            var start = windowStart + match.Start;
            // A number glued to a word ("ORD-2026-000123") is an identifier, whatever its digits would dial.
            var glued = start > 1 && text[start - 1] is '-' or '_' or '/' && char.IsLetterOrDigit(text[start - 2]);
            if (!glued)
            {
                // "order 202-555-0143" is an order number that happens to dial; "call 202-555-0143" is surely a phone.
                var end = start + match.Length;
                var score = ContextWords.Around(text, start, end, PhoneNegativeContext) ? 0.45
                    : ContextWords.Around(text, start, end, PhoneContext) ? 0.95 : 0.8;
                found.Add(new PiiFinding(PiiEntities.Phone, start, match.Length, score));
            }
        }
    }
}
