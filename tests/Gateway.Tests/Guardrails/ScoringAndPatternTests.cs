using Gateway.Configuration.Model;
using Gateway.Guardrails.Detection;

namespace Gateway.Tests.Guardrails;

/// <summary>Confidence: context words that raise or lower it, per-entity thresholds, and admins' own patterns.</summary>
public sealed class ScoringAndPatternTests
{
    private static List<(string Entity, string Value, double Score)> Find(PiiDetector detector, string text)
    {
        var findings = new List<PiiFinding>();
        detector.Detect(text, findings);
        return [.. findings.Select(f => (f.Entity, text.Substring(f.Start, f.Length), f.Score))];
    }

    private static CustomPattern Pattern(string regex, string? validator = null, double score = 0.6, string[]? context = null, string[]? negative = null) =>
        new(new CustomPatternConfig { Name = "THING", Regex = regex, Validator = validator, Score = score, Context = context ?? [], NegativeContext = negative ?? [] });

    [Theory]
    [InlineData("call me on 202-555-0143 please", 0.95)]
    [InlineData("the number 202-555-0143 again", 0.8)]
    [InlineData("your order 202-555-0143 has shipped", 0.45)]
    public void Phone_context_words_move_the_score(string text, double score)
    {
        var found = Find(new PiiDetector([PiiEntities.Phone], thresholds: new Dictionary<string, double> { [PiiEntities.Phone] = 0 }), text);

        Assert.Equal(score, Assert.Single(found).Score);
    }

    [Fact]
    public void The_default_threshold_drops_a_phone_number_that_reads_as_an_order_number()
    {
        Assert.Empty(Find(new PiiDetector([PiiEntities.Phone]), "your order 202-555-0143 has shipped"));
    }

    [Fact]
    public void A_raised_threshold_keeps_only_phone_numbers_with_their_context()
    {
        var strict = new PiiDetector([PiiEntities.Phone], thresholds: new Dictionary<string, double> { [PiiEntities.Phone] = 0.9 });

        Assert.Empty(Find(strict, "the number 202-555-0143 again"));
        Assert.Single(Find(strict, "phone: 202-555-0143"));
    }

    [Fact]
    public void Bare_nine_digits_are_an_ssn_only_with_its_words_nearby()
    {
        var detector = new PiiDetector([PiiEntities.UsSsn]);

        Assert.Empty(Find(detector, "reference 536221234 attached"));
        Assert.Single(Find(detector, "SSN: 536221234"));
    }

    [Fact]
    public void Custom_pattern_context_words_raise_and_negative_words_lower_the_score()
    {
        var pattern = Pattern("E-[0-9]{6}", score: 0.3, context: ["employee"], negative: ["ticket"]);
        var detector = new PiiDetector([], patterns: [pattern]);

        Assert.Equal([("THING", "E-123456", 0.65)], Find(detector, "employee E-123456").Select(f => (f.Entity, f.Value, Math.Round(f.Score, 2))));
        Assert.Empty(Find(detector, "E-123456 was filed"));
        Assert.Empty(Find(detector, "employee ticket E-123456"));
    }

    [Fact]
    public void Custom_pattern_validators_reject_what_fails_the_checksum()
    {
        var detector = new PiiDetector([], patterns: [Pattern(@"\b[0-9]{16}\b", validator: "luhn")]);

        Assert.Equal(["4111111111111111"], Find(detector, "4111111111111111 and 4111111111111112").Select(f => f.Value));
    }

    [Fact]
    public void Custom_patterns_win_over_built_ins_where_they_overlap()
    {
        var detector = new PiiDetector([PiiEntities.Email], patterns: [Pattern(@"[a-z]+@corp\.example")]);

        Assert.Equal([("THING", "alice@corp.example")], Find(detector, "alice@corp.example").Select(f => (f.Entity, f.Value)));
    }

    [Fact]
    public void Patterns_without_look_arounds_run_without_backtracking_and_others_get_a_time_limit()
    {
        Assert.True(PatternRegex.Compile("(a+)+b").Options.HasFlag(System.Text.RegularExpressions.RegexOptions.NonBacktracking));
        var backtracking = PatternRegex.Compile(@"(?<=id:)\d+");
        Assert.Equal(PatternRegex.MatchTimeout, backtracking.MatchTimeout);
    }

    [Fact]
    public void National_phone_formats_count_for_the_configured_region_only()
    {
        const string text = "ring the office on 020 7946 0958 tomorrow";

        Assert.Empty(Find(new PiiDetector([PiiEntities.Phone]), text));
        Assert.Equal(["020 7946 0958"], Find(new PiiDetector([PiiEntities.Phone], phoneRegion: "GB"), text).Select(f => f.Value));
    }
}
