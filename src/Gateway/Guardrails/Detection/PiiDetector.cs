using Gateway.Guardrails.Detection.Recognisers;

using Gateway.Configuration.Model;

namespace Gateway.Guardrails.Detection;

/// <summary>
/// Finds PII and secrets in a text. Each detector jumps to the characters its entity must contain (digits, '@',
/// ':', a secret's literal prefix) with vectorised searches, so clean prose costs little; every candidate is then
/// validated (Luhn and card brand, IBAN length and mod-97, SSN ranges, address parsing, libphonenumber) so order
/// numbers, timestamps, versions, UUIDs and hashes are not taken for entities. Overlapping findings keep the more
/// specific entity. Thread-safe; one instance serves every request.
/// </summary>
/// <remarks>The recognisers, one per entity, live in Recognisers/; this class runs those asked for and settles overlaps.</remarks>
internal sealed class PiiDetector
{
    // Which entity wins where two overlap: the more specific, validated one.
    private static readonly string[] Priority =
        [PiiEntities.Secret, PiiEntities.CreditCard, PiiEntities.Iban, PiiEntities.UsSsn, PiiEntities.Email, PiiEntities.IpAddress, PiiEntities.Phone];

    /// <summary>The confidence a finding needs unless gateway.yaml sets the entity's threshold.</summary>
    public const double DefaultThreshold = 0.5;

    private readonly HashSet<string> _entities;
    private readonly PhoneRecogniser _phones;
    private readonly CustomPattern[] _patterns;
    private readonly Dictionary<string, double> _thresholds;

    /// <param name="entities">Built-in entity types to look for (<see cref="PiiEntities"/>).</param>
    /// <param name="phoneRegion">ISO country whose national phone formats count (numbers with a + prefix count from anywhere).</param>
    /// <param name="patterns">Admin-defined patterns, reported under their own names.</param>
    /// <param name="thresholds">Lowest score that counts, by entity or pattern name; <see cref="DefaultThreshold"/> for the rest.</param>
    public PiiDetector(IEnumerable<string> entities, string phoneRegion = "US", IEnumerable<CustomPattern>? patterns = null, IReadOnlyDictionary<string, double>? thresholds = null)
    {
        _entities = new HashSet<string>(entities, StringComparer.Ordinal);
        _patterns = patterns?.ToArray() ?? [];
        _thresholds = thresholds is null ? [] : new Dictionary<string, double>(thresholds, StringComparer.Ordinal);
        _phones = new PhoneRecogniser(phoneRegion, _thresholds);
    }

    /// <summary>Adds the text's findings to <paramref name="findings"/>, in order, without overlaps.</summary>
    public void Detect(string text, List<PiiFinding> findings)
    {
        var found = new List<PiiFinding>();
        if (_entities.Contains(PiiEntities.Secret))
        {
            SecretRecogniser.Find(text, found);
        }

        if (_entities.Contains(PiiEntities.Email))
        {
            EmailRecogniser.Find(text, found);
        }

        if (_entities.Contains(PiiEntities.Iban))
        {
            IbanRecogniser.Find(text, found);
        }

        if (_entities.Contains(PiiEntities.IpAddress))
        {
            IpAddressRecogniser.FindIpv6(text, found);
        }

        if (text.AsSpan().IndexOfAny(NumberTokenRecogniser.Digits) >= 0)
        {
            NumberTokenRecogniser.Find(text, _entities, found);

            // After the others: a number they already hold is not handed to libphonenumber.
            if (_entities.Contains(PiiEntities.Phone))
            {
                _phones.Find(text, found);
            }
        }

        foreach (var pattern in _patterns)
        {
            CustomPatternRecogniser.Find(pattern, text, found);
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
}
