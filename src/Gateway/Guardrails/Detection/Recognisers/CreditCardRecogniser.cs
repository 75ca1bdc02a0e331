namespace Gateway.Guardrails.Detection.Recognisers;

/// <summary>
/// Payment card numbers, from the runs of digits (<see cref="NumberTokenRecogniser"/>): 13–19 digits, bare or in
/// groups, that pass Luhn and belong to a card brand at that length.
/// </summary>
internal static class CreditCardRecogniser
{
    /// <summary>Luhn and a brand's prefix and length both check out: as sure as a pattern gets.</summary>
    public const double Score = 0.98;

    /// <param name="digits">The run's digits, separators left out.</param>
    /// <param name="separator">The one separator between its groups, or '\0' for bare digits.</param>
    /// <param name="groups">How many groups the separator makes.</param>
    public static bool Matches(ReadOnlySpan<char> digits, char separator, int groups) =>
        digits.Length is >= 13 and <= 19 && (separator == '\0' || groups >= 3) && Validators.Luhn(digits) && Validators.IsCardBrandNumber(digits);
}
