using Gateway.Configuration.Model;

namespace Gateway.Guardrails.Detection;

/// <summary>One entity found in a text: where it is and how sure the detector is. Never holds the value itself.</summary>
/// <param name="Entity">An entity type (<see cref="PiiEntities"/>), or a custom pattern's name.</param>
/// <param name="Score">0–1: validated formats (a Luhn-checked card, a mod-97 IBAN) score high; context words move it.</param>
internal readonly record struct PiiFinding(string Entity, int Start, int Length, double Score)
{
    public int End => Start + Length;

    /// <summary>Which of an endpoint's guardrails found it (its position in the endpoint's list).</summary>
    public int Guardrail { get; init; }
}
