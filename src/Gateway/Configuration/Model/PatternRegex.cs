using System.Text.RegularExpressions;

namespace Gateway.Configuration.Model;

/// <summary>
/// How a guardrail pattern from gateway.yaml is compiled: one definition for the validator (which rejects a bad
/// pattern at load) and the detector (which runs it).
/// </summary>
internal static class PatternRegex
{
    /// <summary>The most one match may take on the backtracking engine.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>Non-backtracking when the pattern allows it (linear time); else backtracking with <see cref="MatchTimeout"/>. Throws ArgumentException for a bad pattern.</summary>
    public static Regex Compile(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout);
        }
    }
}
