using System.Text.RegularExpressions;
using Gateway.Configuration.Model;

namespace Gateway.Guardrails.Detection;

/// <summary>
/// An admin's pattern from gateway.yaml, compiled once per config revision. Matched without backtracking where the
/// pattern allows it, so no pattern can make a request's scan take exponential time; patterns that need
/// look-arounds or back-references run on the backtracking engine with a match timeout instead (<see cref="PatternRegex"/>).
/// </summary>
internal sealed class CustomPattern
{
    /// <summary>What a context word adds to (or takes from) a match's score.</summary>
    public const double ContextWeight = 0.35;

    private static readonly Dictionary<string, Func<ReadOnlySpan<char>, bool>> ValidatorsByName = new(StringComparer.Ordinal)
    {
        ["luhn"] = value => Validators.Luhn(Digits(value)),
        ["credit_card"] = value => Digits(value) is var digits && digits.Length is >= 13 and <= 19 && Validators.Luhn(digits) && Validators.IsCardBrandNumber(digits),
        ["iban"] = value => Validators.Iban(Compact(value)),
        ["us_ssn"] = value => Digits(value) is { Length: 9 } digits && Validators.UsSsn(digits),
    };

    private readonly Func<ReadOnlySpan<char>, bool>? _validator;

    public CustomPattern(CustomPatternConfig config)
    {
        Name = config.Name;
        Regex = PatternRegex.Compile(config.Regex);
        _validator = config.Validator is null ? null : ValidatorsByName[config.Validator];
        Score = config.Score;
        Context = [.. config.Context];
        NegativeContext = [.. config.NegativeContext];
    }

    /// <summary>The validator names gateway.yaml accepts.</summary>
    public static IReadOnlyCollection<string> ValidatorNames => ValidatorsByName.Keys;

    public string Name { get; }

    public Regex Regex { get; }

    public double Score { get; }

    public string[] Context { get; }

    public string[] NegativeContext { get; }

    public bool Validate(ReadOnlySpan<char> match) => _validator?.Invoke(match) ?? true;

    private static string Digits(ReadOnlySpan<char> value)
    {
        var digits = new System.Text.StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (char.IsAsciiDigit(c))
            {
                digits.Append(c);
            }
            else if (char.IsAsciiLetter(c))
            {
                return ""; // letters inside: not a number
            }
        }

        return digits.ToString();
    }

    private static string Compact(ReadOnlySpan<char> value)
    {
        var compact = new System.Text.StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c is not ' ' and not '-')
            {
                compact.Append(char.ToUpperInvariant(c));
            }
        }

        return compact.ToString();
    }
}
