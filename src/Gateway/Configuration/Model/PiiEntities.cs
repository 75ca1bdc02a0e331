namespace Gateway.Configuration.Model;

/// <summary>The entity types gateway.yaml names under guardrails.*.entities; the detector finds each.</summary>
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
