using Gateway.Guardrails.Detection;
using Gateway.Guardrails.Masking;

namespace Gateway.Tests.Guardrails;

public sealed class PiiMaskingTests
{
    private static readonly PiiDetector Detector = new([PiiEntities.Email, PiiEntities.CreditCard, PiiEntities.Phone]);

    private static List<PiiFinding> Find(string text)
    {
        var findings = new List<PiiFinding>();
        Detector.Detect(text, findings);
        return findings;
    }

    [Fact]
    public void The_same_value_gets_the_same_placeholder_and_another_value_the_next_one()
    {
        const string text = "Mail ann@example.com, then bob@example.com, then ann@example.com again.";
        var vault = new PlaceholderVault();

        var masked = PiiMasking.Mask(text, Find(text), vault);

        Assert.Equal("Mail <EMAIL_1>, then <EMAIL_2>, then <EMAIL_1> again.", masked);
        Assert.Equal(text, PiiMasking.Restore(masked, vault));
    }

    [Fact]
    public void Placeholders_are_numbered_per_entity_and_stay_stable_across_messages_of_a_request()
    {
        var vault = new PlaceholderVault();
        var first = "card 4111 1111 1111 1111 for ann@example.com";
        var second = "was ann@example.com charged on 4111 1111 1111 1111?";

        Assert.Equal("card <CREDIT_CARD_1> for <EMAIL_1>", PiiMasking.Mask(first, Find(first), vault));
        Assert.Equal("was <EMAIL_1> charged on <CREDIT_CARD_1>?", PiiMasking.Mask(second, Find(second), vault));
    }

    [Fact]
    public void Redacting_leaves_only_the_entity_type()
    {
        const string text = "Reach me at ann@example.com.";
        Assert.Equal("Reach me at <EMAIL>.", PiiMasking.Redact(text, Find(text)));
    }

    [Fact]
    public void Restoring_leaves_other_angle_brackets_and_unknown_placeholders_alone()
    {
        var vault = new PlaceholderVault();
        vault.PlaceholderFor(PiiEntities.Email, "ann@example.com");

        Assert.Equal("if a < b then ann@example.com, not <EMAIL_9> or <b>", PiiMasking.Restore("if a < b then <EMAIL_1>, not <EMAIL_9> or <b>", vault));
    }

    [Fact]
    public void A_stream_restores_placeholders_split_at_every_possible_chunk_boundary()
    {
        var vault = new PlaceholderVault();
        vault.PlaceholderFor(PiiEntities.Email, "ann@example.com");
        vault.PlaceholderFor(PiiEntities.CreditCard, "4111 1111 1111 1111");
        const string answer = "Sure: <EMAIL_1> paid with <CREDIT_CARD_1>. 2 < 3 and <OTHER> stays.";
        const string expected = "Sure: ann@example.com paid with 4111 1111 1111 1111. 2 < 3 and <OTHER> stays.";

        for (var first = 1; first < answer.Length; first++)
        {
            for (var second = first; second < answer.Length; second += 7)
            {
                var restorer = new StreamingRestorer(vault);
                var output = restorer.Push(answer[..first]) + restorer.Push(answer[first..second]) + restorer.Push(answer[second..]) + restorer.Flush();
                Assert.Equal(expected, output);
            }
        }
    }

    [Fact]
    public void A_stream_holds_back_only_what_could_still_become_a_placeholder()
    {
        var vault = new PlaceholderVault();
        vault.PlaceholderFor(PiiEntities.Email, "ann@example.com");
        var restorer = new StreamingRestorer(vault);

        Assert.Equal("Hello ", restorer.Push("Hello <EMA"));
        Assert.Equal("ann@example.com and", restorer.Push("IL_1> and"));
        Assert.Equal(" 2 < 3, x", restorer.Push(" 2 < 3, x"));
        Assert.Equal(" ", restorer.Push(" <"));
        Assert.Equal("<done", restorer.Push("done"));
        Assert.Equal("", restorer.Flush());
    }
}
