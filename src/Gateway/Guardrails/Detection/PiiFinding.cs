namespace Gateway.Guardrails.Detection;

/// <summary>Entity types the detector knows; gateway.yaml names them the same way (guardrails.*.entities).</summary>
internal static class PiiEntities
{
    public const string Email = "EMAIL";
    public const string Phone = "PHONE";
    public const string CreditCard = "CREDIT_CARD";
    public const string Iban = "IBAN";
    public const string UsSsn = "US_SSN";
    public const string IpAddress = "IP_ADDRESS";
    public const string Secret = "SECRET";

    /// <summary>Every name gateway.yaml accepts under guardrails.*.entities, in the order errors list them. (Admins'
    /// own patterns, the CUSTOM entities, are listed under guardrails.*.patterns and named there.)</summary>
    public static readonly string[] All = [Email, Phone, CreditCard, Iban, UsSsn, IpAddress, Secret];
}

/// <summary>One entity found in a text: where it is and how sure the detector is. Never holds the value itself.</summary>
/// <param name="Entity">An entity type (<see cref="PiiEntities"/>), or a custom pattern's name.</param>
/// <param name="Score">0–1: validated formats (a Luhn-checked card, a mod-97 IBAN) score high; context words move it.</param>
internal readonly record struct PiiFinding(string Entity, int Start, int Length, double Score)
{
    public int End => Start + Length;

    /// <summary>Which of an endpoint's guardrails found it (its position in the endpoint's list).</summary>
    public int Guardrail { get; init; }
}
