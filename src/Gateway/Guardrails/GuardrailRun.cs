using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Gateway.Guardrails.Detection;
using Gateway.Guardrails.Masking;

namespace Gateway.Guardrails;

/// <summary>What the metrics count findings by.</summary>
internal readonly record struct FindingKind(GuardrailDirection Direction, string Guardrail, string Entity, GuardrailAction Action);

/// <summary>A finding as the trace keeps it: where and what, and what was done; never the value.</summary>
internal readonly record struct RecordedFinding(GuardrailDirection Direction, string Guardrail, string Entity, GuardrailAction Action, string Location, int Start, int Length);

/// <summary>
/// One request's pass through its endpoint's guardrails: the placeholders handed out (to restore the answer), and
/// the findings of both directions for the trace. Lives as long as the request; holds values only in the vault.
/// </summary>
/// <param name="endpoint">The endpoint's name, for the log.</param>
internal sealed class GuardrailRun(EndpointGuardrails guardrails, string endpoint = "")
{
    /// <summary>The most findings a trace lists one by one; the counts cover them all.</summary>
    public const int MaxListedFindings = 200;

    private readonly List<RecordedFinding> _findings = [];
    private readonly Dictionary<FindingKind, int> _counts = [];

    public EndpointGuardrails Guardrails { get; } = guardrails;

    public string Endpoint { get; } = endpoint;

    public PlaceholderVault Vault { get; } = new();

    /// <summary>Whether the answer must go through the guardrails: they look at it, or it may repeat placeholders to restore.</summary>
    public bool WatchesResponse => Guardrails.OnResponse || Vault.Count > 0;

    /// <summary>A block guardrail found something in this direction.</summary>
    public bool Blocked(GuardrailDirection direction) => (direction == GuardrailDirection.Request ? _blockedRequest : _blockedResponse) is not null;

    private List<string>? _blockedRequest;
    private List<string>? _blockedResponse;

    /// <summary>The entity types that blocked a direction, in the order found.</summary>
    public IReadOnlyList<string> BlockedEntities(GuardrailDirection direction) =>
        (direction == GuardrailDirection.Request ? _blockedRequest : _blockedResponse) ?? [];

    /// <summary>The name of the (first) guardrail that blocked.</summary>
    public string? BlockedBy { get; private set; }

    /// <summary>Where the first blocking finding was (messages[0].content).</summary>
    public string? BlockedAt { get; private set; }

    /// <summary>
    /// Records a text's findings and returns the text the other side gets: placeholders for mask, entity types for
    /// redact, the text unchanged for log (and for block, which the caller acts on).
    /// </summary>
    /// <param name="offset">Where <paramref name="text"/> starts in its field (a stream's text arrives in pieces).</param>
    public string Apply(string text, IReadOnlyList<PiiFinding> findings, GuardrailDirection direction, string location, int offset = 0)
    {
        if (findings.Count == 0)
        {
            return text;
        }

        var changed = false;
        foreach (var finding in findings)
        {
            var guardrail = Guardrails.All[finding.Guardrail];
            Record(new RecordedFinding(direction, guardrail.Name, finding.Entity, guardrail.Action, location, offset + finding.Start, finding.Length));
            changed |= guardrail.Action is GuardrailAction.Mask or GuardrailAction.Redact;
            if (guardrail.Action == GuardrailAction.Block)
            {
                ref var blocked = ref direction == GuardrailDirection.Request ? ref _blockedRequest : ref _blockedResponse;
                blocked ??= [];
                BlockedBy ??= guardrail.Name;
                BlockedAt ??= location;
                if (!blocked.Contains(finding.Entity))
                {
                    blocked.Add(finding.Entity);
                }
            }
        }

        if (!changed)
        {
            return text;
        }

        var result = new StringBuilder(text.Length + 16);
        var at = 0;
        foreach (var finding in findings)
        {
            var guardrail = Guardrails.All[finding.Guardrail];
            result.Append(text, at, finding.Start - at);
            var value = text.Substring(finding.Start, finding.Length);
            result.Append(guardrail.Action switch
            {
                // Only what the caller sent is put back: a placeholder for the model's own output stays.
                GuardrailAction.Mask => Vault.PlaceholderFor(finding.Entity, value, restorable: guardrail.Restore && direction == GuardrailDirection.Request),
                GuardrailAction.Redact => $"<{finding.Entity}>",
                _ => value,
            });
            at = finding.End;
        }

        return result.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>Puts this request's findings of one direction on its span: counts by entity, the action taken, and each finding's place.</summary>
    public void Tag(Activity? span, GuardrailDirection direction)
    {
        if (span is null)
        {
            return;
        }

        var mine = _findings.Where(f => f.Direction == direction).ToList();
        var counts = _counts.Where(c => c.Key.Direction == direction).GroupBy(c => c.Key.Entity).Select(g => (Entity: g.Key, Count: g.Sum(c => c.Value))).ToList();
        var total = counts.Sum(c => c.Count);
        span.SetTag("gateway.guardrail.names", Guardrails.Names(direction));
        span.SetTag("gateway.guardrail.findings_count", total);
        span.SetTag("gateway.guardrail.outcome", Outcome(direction, mine));
        if (total == 0)
        {
            return;
        }

        span.SetTag("gateway.guardrail.entities", string.Join(',', counts.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Entity}={c.Count}"))));
        span.SetTag("gateway.guardrail.findings", JsonSerializer.Serialize(mine.Select(f => new
        {
            guardrail = f.Guardrail,
            entity = f.Entity,
            action = f.Action.ToString().ToLowerInvariant(),
            location = f.Location,
            start = f.Start,
            length = f.Length,
        })));
    }

    /// <summary>How many findings of each kind one direction had (for the metrics).</summary>
    public IEnumerable<KeyValuePair<FindingKind, int>> Counts(GuardrailDirection direction) => _counts.Where(c => c.Key.Direction == direction);

    private string Outcome(GuardrailDirection direction, List<RecordedFinding> findings) =>
        Blocked(direction) ? "blocked"
        : findings.Count == 0 ? "clean"
        : findings.Any(f => f.Action == GuardrailAction.Mask) ? "masked"
        : findings.Any(f => f.Action == GuardrailAction.Redact) ? "redacted"
        : "logged";

    private void Record(RecordedFinding finding)
    {
        var key = new FindingKind(finding.Direction, finding.Guardrail, finding.Entity, finding.Action);
        _counts[key] = _counts.GetValueOrDefault(key) + 1;
        if (_findings.Count < MaxListedFindings)
        {
            _findings.Add(finding);
        }
    }
}
