using System.Text;

namespace Gateway.Configuration.Binding;

/// <summary>
/// Expands <c>${VAR}</c> and <c>${VAR:-default}</c> in a string; <c>$${</c> is a literal <c>${</c>.
/// </summary>
internal static class EnvironmentInterpolator
{
    public readonly record struct Result(string Value, bool UsedEnvironment, string? MissingVariable, string? SyntaxError);

    public static Result Expand(string text, Func<string, string?> lookup)
    {
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            return new Result(text, false, null, null);
        }

        var output = new StringBuilder(text.Length);
        var usedEnvironment = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '$' || i + 1 >= text.Length)
            {
                output.Append(text[i]);
                continue;
            }

            if (text[i + 1] == '$' && i + 2 < text.Length && text[i + 2] == '{')
            {
                output.Append("${");
                i += 2;
                continue;
            }

            if (text[i + 1] != '{')
            {
                output.Append('$');
                continue;
            }

            var close = text.IndexOf('}', i + 2);
            if (close < 0)
            {
                return new Result(text, usedEnvironment, null, "unclosed '${' (write $${ for a literal)");
            }

            var reference = text.AsSpan(i + 2, close - i - 2);
            var separator = reference.IndexOf(":-", StringComparison.Ordinal);
            var name = (separator >= 0 ? reference[..separator] : reference).ToString();
            if (!IsValidName(name))
            {
                return new Result(text, usedEnvironment, null, $"'${{{reference}}}' is not a valid environment reference; names are letters, digits and '_'");
            }

            usedEnvironment = true;
            var value = lookup(name);
            if (string.IsNullOrEmpty(value))
            {
                if (separator < 0)
                {
                    return new Result(text, usedEnvironment, name, null);
                }

                value = reference[(separator + 2)..].ToString();
            }

            output.Append(value);
            i = close;
        }

        return new Result(output.ToString(), usedEnvironment, null, null);
    }

    private static bool IsValidName(string name)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
