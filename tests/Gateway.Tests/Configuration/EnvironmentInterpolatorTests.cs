using Gateway.Configuration.Binding;

namespace Gateway.Tests.Configuration;

public sealed class EnvironmentInterpolatorTests
{
    private static string? Lookup(string name) => name switch { "HOST" => "db.internal", "PORT" => "5432", "EMPTY" => "", _ => null };

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("${HOST}", "db.internal")]
    [InlineData("postgres://${HOST}:${PORT}/x", "postgres://db.internal:5432/x")]
    [InlineData("${MISSING:-fallback}", "fallback")]
    [InlineData("${EMPTY:-fallback}", "fallback")]
    [InlineData("${MISSING:-}", "")]
    [InlineData("price is $5", "price is $5")]
    [InlineData("literal $${HOST}", "literal ${HOST}")]
    public void Expands_references(string text, string expected)
    {
        var result = EnvironmentInterpolator.Expand(text, Lookup);

        Assert.Null(result.MissingVariable);
        Assert.Null(result.SyntaxError);
        Assert.Equal(expected, result.Value);
    }

    [Fact]
    public void Reports_the_missing_variable_by_name()
    {
        Assert.Equal("NOPE", EnvironmentInterpolator.Expand("a${NOPE}b", Lookup).MissingVariable);
    }

    [Theory]
    [InlineData("${HOST", "unclosed '${' (write $${ for a literal)")]
    [InlineData("${1BAD}", "'${1BAD}' is not a valid environment reference; names are letters, digits and '_'")]
    public void Reports_malformed_references(string text, string error)
    {
        Assert.Equal(error, EnvironmentInterpolator.Expand(text, Lookup).SyntaxError);
    }

    [Fact]
    public void Marks_values_that_came_from_the_environment()
    {
        Assert.True(EnvironmentInterpolator.Expand("${HOST}", Lookup).UsedEnvironment);
        Assert.False(EnvironmentInterpolator.Expand("host", Lookup).UsedEnvironment);
    }
}
