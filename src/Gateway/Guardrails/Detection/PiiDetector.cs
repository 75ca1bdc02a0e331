using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using PhoneNumbers;

namespace Gateway.Guardrails.Detection;

/// <summary>
/// Finds PII and secrets in a text. Each detector jumps to the characters its entity must contain (digits, '@',
/// ':', a secret's literal prefix) with vectorised searches, so clean prose costs little; every candidate is then
/// validated (Luhn and card brand, IBAN length and mod-97, SSN ranges, address parsing, libphonenumber) so order
/// numbers, timestamps, versions, UUIDs and hashes are not taken for entities. Overlapping findings keep the more
/// specific entity. Thread-safe; one instance serves every request.
/// </summary>
internal sealed partial class PiiDetector
{
    private const int ContextWindow = 40;
    private static readonly SearchValues<char> Digits = SearchValues.Create("0123456789");

    // Vectorised: with invariant globalization, string.Contains(…, OrdinalIgnoreCase) walks the text a char at a time.
    private static readonly SearchValues<string> SecretWord = SearchValues.Create(["secret"], StringComparison.OrdinalIgnoreCase);

    private static readonly SearchValues<char> AsciiLetters = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    // Which entity wins where two overlap: the more specific, validated one.
    private static readonly string[] Priority =
        [PiiEntities.Secret, PiiEntities.CreditCard, PiiEntities.Iban, PiiEntities.UsSsn, PiiEntities.Email, PiiEntities.IpAddress, PiiEntities.Phone];

    /// <summary>The confidence a finding needs unless gateway.yaml sets the entity's threshold.</summary>
    public const double DefaultThreshold = 0.5;

    private static readonly string[] PhoneContext = ["phone", "tel", "call", "mobile", "cell", "fax", "whatsapp", "sms", "text me", "reach me"];
    private static readonly string[] PhoneNegativeContext = ["order", "invoice", "tracking", "serial", "ticket", "sku", "ref", "isbn", "part no"];

    private readonly HashSet<string> _entities;
    private readonly string _phoneRegion;
    private readonly CustomPattern[] _patterns;
    private readonly Dictionary<string, double> _thresholds;

    /// <param name="entities">Built-in entity types to look for (<see cref="PiiEntities"/>).</param>
    /// <param name="phoneRegion">ISO country whose national phone formats count (numbers with a + prefix count from anywhere).</param>
    /// <param name="patterns">Admin-defined patterns, reported under their own names.</param>
    /// <param name="thresholds">Lowest score that counts, by entity or pattern name; <see cref="DefaultThreshold"/> for the rest.</param>
    public PiiDetector(IEnumerable<string> entities, string phoneRegion = "US", IEnumerable<CustomPattern>? patterns = null, IReadOnlyDictionary<string, double>? thresholds = null)
    {
        _entities = new HashSet<string>(entities, StringComparer.Ordinal);
        _phoneRegion = phoneRegion;
        _patterns = patterns?.ToArray() ?? [];
        _thresholds = thresholds is null ? [] : new Dictionary<string, double>(thresholds, StringComparer.Ordinal);
    }

    /// <summary>Adds the text's findings to <paramref name="findings"/>, in order, without overlaps.</summary>
    public void Detect(string text, List<PiiFinding> findings)
    {
        var found = new List<PiiFinding>();
        if (_entities.Contains(PiiEntities.Secret))
        {
            FindSecrets(text, found);
        }

        if (_entities.Contains(PiiEntities.Email))
        {
            FindEmails(text, found);
        }

        if (_entities.Contains(PiiEntities.Iban))
        {
            FindIbans(text, found);
        }

        if (_entities.Contains(PiiEntities.IpAddress))
        {
            FindIpv6(text, found);
        }

        if (text.AsSpan().IndexOfAny(Digits) >= 0)
        {
            FindNumberTokens(text, found);
            if (_entities.Contains(PiiEntities.Phone))
            {
                FindPhones(text, found);
            }
        }

        foreach (var pattern in _patterns)
        {
            FindCustom(pattern, text, found);
        }

        // Below its threshold a finding is dropped before overlaps are settled, so it cannot hide a surer one.
        found.RemoveAll(finding => finding.Score < _thresholds.GetValueOrDefault(finding.Entity, DefaultThreshold));
        Resolve(found, findings);
    }

    private static void Resolve(List<PiiFinding> found, List<PiiFinding> findings)
    {
        found.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : Rank(a).CompareTo(Rank(b)));
        var first = findings.Count;
        foreach (var finding in found)
        {
            if (findings.Count > first && findings[^1].End > finding.Start)
            {
                var previous = findings[^1];
                if (Rank(finding) < Rank(previous) || (Rank(finding) == Rank(previous) && finding.Length > previous.Length))
                {
                    findings[^1] = finding;
                }

                continue;
            }

            findings.Add(finding);
        }
    }

    private static int Rank(PiiFinding finding)
    {
        var rank = Array.IndexOf(Priority, finding.Entity);
        return rank < 0 ? -1 : rank; // custom patterns first: the admin asked for them by name
    }

    // ---- secrets: literal prefixes, so the regex engine's vectorised prefix search skips clean text ----

    // Where a secret can start: one vectorised multi-string search finds these, and the pattern is then tried
    // there only (\G). Left to itself the regex engine would stop at every 's', 'e', 'g' and 'A' of the prose.
    private static readonly SearchValues<string> SecretPrefixes = SearchValues.Create(
        ["sk-", "AKIA", "ASIA", "ABIA", "ACCA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "eyJ", "-----BEGIN "],
        StringComparison.Ordinal);

    [GeneratedRegex("""
        \G(?:
          sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{32,}
        | sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}
        | (?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}
        | gh[pousr]_[A-Za-z0-9]{36,255}
        | github_pat_[A-Za-z0-9_]{60,255}
        | glpat-[A-Za-z0-9_-]{20,}
        | xox[abposr]-[A-Za-z0-9-]{10,}
        | eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}
        | -----BEGIN\ (?:[A-Z]+\ )*PRIVATE\ KEY-----[\s\S]{16,}?-----END\ (?:[A-Z]+\ )*PRIVATE\ KEY-----
        )(?![A-Za-z0-9_-])
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex SecretPattern();

    // An AWS secret access key is 40 base64 characters with nothing to mark it: only with its name nearby.
    [GeneratedRegex("""(?i:aws.{0,30}?secret|secret.{0,10}?access.{0,10}?key)[^A-Za-z0-9/+\n]{1,10}(?<key>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])""", RegexOptions.CultureInvariant)]
    private static partial Regex AwsSecretPattern();

    private static void FindSecrets(string text, List<PiiFinding> found)
    {
        var span = text.AsSpan();
        var from = 0;
        while (from < span.Length)
        {
            var at = span[from..].IndexOfAny(SecretPrefixes);
            if (at < 0)
            {
                break;
            }

            at += from;
            from = at + 1;
            var standsAlone = at == 0 || !(char.IsAsciiLetterOrDigit(span[at - 1]) || span[at - 1] is '_' or '-');
            if (!standsAlone)
            {
                continue;
            }

            foreach (var match in SecretPattern().EnumerateMatches(span, at))
            {
                found.Add(new PiiFinding(PiiEntities.Secret, match.Index, match.Length, 0.99));
                from = match.Index + match.Length;
                break;
            }
        }

        if (text.AsSpan().ContainsAny(SecretWord))
        {
            for (var match = AwsSecretPattern().Match(text); match.Success; match = match.NextMatch())
            {
                var key = match.Groups["key"];
                found.Add(new PiiFinding(PiiEntities.Secret, key.Index, key.Length, 0.9));
            }
        }
    }

    // ---- e-mail: from each '@', outwards ----

    private static void FindEmails(string text, List<PiiFinding> found)
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

    // ---- IBAN: two letters, two check digits, then the account in groups ----

    // Tried only where two capitals and two digits start a word (found from the digits, which clean prose lacks).
    [GeneratedRegex(@"\G[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}(?![a-z0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex IbanCandidate();

    private static void FindIbans(string text, List<PiiFinding> found)
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

    // ---- runs of digits: cards, SSNs, IPv4 ----

    private void FindNumberTokens(string text, List<PiiFinding> found)
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
                if (_entities.Contains(PiiEntities.IpAddress) && groups == 4 && IsIpv4(token))
                {
                    // "version 1.2.3.4" is a version number.
                    found.Add(new PiiFinding(PiiEntities.IpAddress, start, end - start, FollowsWord(span, start, "version") ? 0.3 : 0.9));
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
            if (_entities.Contains(PiiEntities.CreditCard) && !international && digitCount is >= 13 and <= 19 && (separator == '\0' || groups >= 3)
                && Validators.Luhn(digits) && Validators.IsCardBrandNumber(digits))
            {
                found.Add(new PiiFinding(PiiEntities.CreditCard, start, end - start, 0.98));
            }
            else if (_entities.Contains(PiiEntities.UsSsn) && !international && digitCount == 9 && Validators.UsSsn(digits))
            {
                // Nine bare digits are an SSN only when the text says so nearby.
                var shaped = separator != '\0' && groups == 3 && token[3] == separator && token[6] == separator;
                var score = shaped ? 0.9 : HasContext(span, start, "ssn", "social security", "social-security") ? 0.85 : 0.4;
                found.Add(new PiiFinding(PiiEntities.UsSsn, start, end - start, score));
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

    private static bool IsIpv4(ReadOnlySpan<char> token)
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

    private static bool FollowsWord(ReadOnlySpan<char> span, int start, string word)
    {
        var before = span[Math.Max(0, start - 12)..start].TrimEnd();
        return before.EndsWith(word, StringComparison.OrdinalIgnoreCase) || before.EndsWith("v", StringComparison.OrdinalIgnoreCase)
            || before.EndsWith("ver", StringComparison.OrdinalIgnoreCase) || before.EndsWith("version:", StringComparison.OrdinalIgnoreCase);
    }

    private static bool HasContext(ReadOnlySpan<char> span, int start, params string[] words)
    {
        var before = span[Math.Max(0, start - ContextWindow)..start];
        return ContainsAny(before, words);
    }

    /// <summary>Whether one of the words appears within the context window before or after a finding.</summary>
    private static bool HasContextAround(ReadOnlySpan<char> span, int start, int end, string[] words) =>
        words.Length > 0 && (ContainsAny(span[Math.Max(0, start - ContextWindow)..start], words) || ContainsAny(span[end..Math.Min(span.Length, end + ContextWindow)], words));

    private static bool ContainsAny(ReadOnlySpan<char> text, string[] words)
    {
        foreach (var word in words)
        {
            if (text.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    // ---- the admin's patterns ----

    private static void FindCustom(CustomPattern pattern, string text, List<PiiFinding> found)
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
                if (HasContextAround(span, match.Index, end, pattern.Context))
                {
                    score += CustomPattern.ContextWeight;
                }

                if (HasContextAround(span, match.Index, end, pattern.NegativeContext))
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

    // ---- IPv6: from each ':', outwards over hex digits and colons ----

    private static void FindIpv6(string text, List<PiiFinding> found)
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

    // ---- phone numbers: libphonenumber finds and validates them (numbering plans per country) ----

    private void FindPhones(string text, List<PiiFinding> found)
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
            if (digits < 7 || IsCoveredBySurerFinding(found, start, lastDigitEnd))
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
                && finding.Score >= _thresholds.GetValueOrDefault(finding.Entity, DefaultThreshold))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsPhonePunctuation(char c) => c is ' ' or '-' or '.' or '(' or ')' or '+' or '/' or '\u00A0';

    private void FindPhonesIn(string text, int windowStart, int windowEnd, List<PiiFinding> found)
    {
        var window = text[windowStart..windowEnd];
        foreach (var match in Phones.FindNumbers(window, _phoneRegion, PhoneNumberUtil.Leniency.VALID, long.MaxValue))
        {
            var start = windowStart + match.Start;
            // A number glued to a word ("ORD-2026-000123") is an identifier, whatever its digits would dial.
            var glued = start > 1 && text[start - 1] is '-' or '_' or '/' && char.IsLetterOrDigit(text[start - 2]);
            if (!glued)
            {
                // "order 202-555-0143" is an order number that happens to dial; "call 202-555-0143" is surely a phone.
                var end = start + match.Length;
                var score = HasContextAround(text, start, end, PhoneNegativeContext) ? 0.45
                    : HasContextAround(text, start, end, PhoneContext) ? 0.95 : 0.8;
                found.Add(new PiiFinding(PiiEntities.Phone, start, match.Length, score));
            }
        }
    }
}
