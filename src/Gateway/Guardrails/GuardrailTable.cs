using Gateway.Configuration.Model;
using Gateway.Guardrails.Detection;

namespace Gateway.Guardrails;

/// <summary>What a guardrail does with a finding. Ordered by strength: where two guardrails find the same text, the stronger action wins.</summary>
internal enum GuardrailAction
{
    Log,
    Mask,
    Redact,
    Block,
}

/// <summary>Which way a text travels: from the caller to the provider, or back.</summary>
internal enum GuardrailDirection
{
    Request,
    Response,
}

/// <summary>One guardrail of gateway.yaml, compiled: its detector (with the admin's patterns) and what it does.</summary>
internal sealed class CompiledGuardrail(string name, GuardrailConfig config)
{
    public string Name { get; } = name;

    public GuardrailAction Action { get; } = Enum.Parse<GuardrailAction>(config.Action, ignoreCase: true);

    public bool OnRequest { get; } = config.Direction is "request" or "both";

    public bool OnResponse { get; } = config.Direction is "response" or "both";

    /// <summary>mask: the answer gets the original values back where it repeats a placeholder.</summary>
    public bool Restore { get; } = config.Restore;

    public PiiDetector Detector { get; } = new(config.Entities, config.PhoneRegion, config.Patterns.Select(p => new CustomPattern(p)), config.Thresholds);

    public bool Applies(GuardrailDirection direction) => direction == GuardrailDirection.Request ? OnRequest : OnResponse;
}

/// <summary>The guardrails of one endpoint, in the order the endpoint lists them.</summary>
internal sealed class EndpointGuardrails
{
    public EndpointGuardrails(IReadOnlyList<CompiledGuardrail> guardrails)
    {
        All = guardrails;
        OnRequest = guardrails.Any(g => g.OnRequest);
        OnResponse = guardrails.Any(g => g.OnResponse);
        _names = [string.Join(',', guardrails.Where(g => g.OnRequest).Select(g => g.Name)), string.Join(',', guardrails.Where(g => g.OnResponse).Select(g => g.Name))];
    }

    private readonly string[] _names;

    /// <summary>The names of the guardrails that look one way, comma-separated (as spans list them).</summary>
    public string Names(GuardrailDirection direction) => _names[(int)direction];

    public IReadOnlyList<CompiledGuardrail> All { get; }

    public bool OnRequest { get; }

    public bool OnResponse { get; }

    /// <summary>
    /// Every guardrail's findings in a text for one direction, in order and without overlaps: where two overlap the
    /// stronger action wins (block over redact over mask over log), then the longer finding.
    /// </summary>
    public void Detect(string text, GuardrailDirection direction, List<PiiFinding> findings) => Detect(text, (GuardrailDirection?)direction, findings);

    /// <summary>The text with every finding of every guardrail (either direction) replaced by its entity type: what traces keep.</summary>
    public string Redact(string text)
    {
        var findings = new List<PiiFinding>();
        Detect(text, direction: null, findings);
        return Masking.PiiMasking.Redact(text, findings);
    }

    /// <param name="direction">null: every guardrail, whichever way it looks.</param>
    private void Detect(string text, GuardrailDirection? direction, List<PiiFinding> findings)
    {
        var start = findings.Count;
        var guardrails = 0;
        for (var g = 0; g < All.Count; g++)
        {
            if (direction is null || All[g].Applies(direction.Value))
            {
                var from = findings.Count;
                All[g].Detector.Detect(text, findings);
                for (var i = from; i < findings.Count; i++)
                {
                    findings[i] = findings[i] with { Guardrail = g };
                }

                guardrails++;
            }
        }

        if (guardrails > 1 && findings.Count - start > 1)
        {
            Merge(findings, start);
        }
    }

    /// <summary>Several guardrails' findings (each in order, without overlaps) as one list in order without overlaps.</summary>
    private void Merge(List<PiiFinding> findings, int start)
    {
        var found = findings.GetRange(start, findings.Count - start);
        found.Sort((a, b) => a.Start.CompareTo(b.Start));
        findings.RemoveRange(start, findings.Count - start);
        foreach (var finding in found)
        {
            if (findings.Count > start && findings[^1].End > finding.Start)
            {
                var previous = findings[^1];
                var (a, b) = (All[finding.Guardrail].Action, All[previous.Guardrail].Action);
                if (a > b || (a == b && finding.Length > previous.Length))
                {
                    findings[^1] = finding;
                }

                continue;
            }

            findings.Add(finding);
        }
    }
}

/// <summary>Each endpoint's compiled guardrails, built with the config revision (a reload builds a new table).</summary>
internal sealed class GuardrailTable
{
    private readonly Dictionary<string, EndpointGuardrails> _byEndpoint;

    private GuardrailTable(Dictionary<string, EndpointGuardrails> byEndpoint)
    {
        _byEndpoint = byEndpoint;
        AnyOnRequest = byEndpoint.Values.Any(g => g.OnRequest);
    }

    /// <summary>Some endpoint guards its requests: the reader must decode the prompt's texts for them.</summary>
    public bool AnyOnRequest { get; }

    public static GuardrailTable Create(GatewayConfig config)
    {
        var compiled = config.Guardrails.ToDictionary(g => g.Key, g => new CompiledGuardrail(g.Key, g.Value), StringComparer.Ordinal);
        var byEndpoint = new Dictionary<string, EndpointGuardrails>(StringComparer.Ordinal);
        foreach (var (name, endpoint) in config.Endpoints)
        {
            if (endpoint.Guardrails.Count > 0)
            {
                byEndpoint[name] = new EndpointGuardrails([.. endpoint.Guardrails.Select(g => compiled[g])]);
            }
        }

        return new GuardrailTable(byEndpoint);
    }

    /// <summary>The endpoint's guardrails; null when it has none.</summary>
    public EndpointGuardrails? For(string endpoint) => _byEndpoint.GetValueOrDefault(endpoint);
}
