namespace Gateway.Guardrails.Detection.Recognisers;

/// <summary>
/// US social security numbers, from the runs of digits (<see cref="NumberTokenRecogniser"/>): nine digits in the
/// ranges the SSA issues. Nine bare digits are an SSN only when the text says so nearby.
/// </summary>
internal static class UsSsnRecogniser
{
    private static readonly string[] Context = ["ssn", "social security", "social-security"];

    /// <param name="digits">The run's digits, separators left out.</param>
    public static bool Matches(ReadOnlySpan<char> digits) => digits.Length == 9 && Validators.UsSsn(digits);

    /// <summary>Shaped 3-2-4 it is surely one; bare, only with its name before it.</summary>
    /// <param name="span">The whole text, for the context before the token.</param>
    /// <param name="token">The run as written, separators included.</param>
    public static double Score(ReadOnlySpan<char> span, ReadOnlySpan<char> token, int start, char separator, int groups)
    {
        var shaped = separator != '\0' && groups == 3 && token[3] == separator && token[6] == separator;
        return shaped ? 0.9 : ContextWords.Before(span, start, Context) ? 0.85 : 0.4;
    }
}
