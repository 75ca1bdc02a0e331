using System.Buffers;
using System.Text.RegularExpressions;

using Gateway.Configuration.Model;

namespace Gateway.Guardrails.Detection.Recognisers;

/// <summary>
/// API keys, tokens and private keys, found by their literal prefixes so that the regex engine's vectorised prefix
/// search skips clean text; an AWS secret access key, which has no prefix, only with its name nearby.
/// </summary>
internal static partial class SecretRecogniser
{
    // Vectorised: with invariant globalization, string.Contains(…, OrdinalIgnoreCase) walks the text a char at a time.
    private static readonly SearchValues<string> SecretWord = SearchValues.Create(["secret"], StringComparison.OrdinalIgnoreCase);

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

    public static void Find(string text, List<PiiFinding> found)
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
}
