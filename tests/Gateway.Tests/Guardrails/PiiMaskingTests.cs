using Gateway.Guardrails.Detection;
using Gateway.Guardrails.Masking;

using Gateway.Configuration.Model;

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

    [Theory]
    [InlineData("Sure! Write to ann.lee@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111 was charged.")]
    [InlineData("IBAN DE89 3704 0044 0532 0130 00, key AKIAIOSFODNN7EXAMPLE, host 192.168.10.24 and bob@example.org")]
    [InlineData("No entities here, just an answer of ordinary words and numbers like 42 and 7.")]
    public void A_streamed_answer_is_masked_exactly_as_the_whole_answer_at_every_chunk_boundary(string answer)
    {
        var detector = new PiiDetector([PiiEntities.Email, PiiEntities.Phone, PiiEntities.CreditCard, PiiEntities.Iban, PiiEntities.IpAddress, PiiEntities.Secret]);
        var wholeFindings = new List<PiiFinding>();
        detector.Detect(answer, wholeFindings);
        var expected = PiiMasking.Mask(answer, wholeFindings, new PlaceholderVault());

        for (var first = 0; first <= answer.Length; first++)
        {
            for (var second = first; second <= answer.Length; second += 5)
            {
                var vault = new PlaceholderVault();
                var masker = new StreamingMasker(detector.Detect, (text, findings) => PiiMasking.Mask(text, findings, vault));
                var output = masker.Push(answer[..first]) + masker.Push(answer[first..second]) + masker.Push(answer[second..]) + masker.Flush();
                Assert.Equal(expected, output);
            }
        }
    }

    [Fact]
    public void A_stream_holds_back_the_unfinished_tail_and_nothing_before_it()
    {
        var detector = new PiiDetector([PiiEntities.Email, PiiEntities.CreditCard]);
        var vault = new PlaceholderVault();
        var masker = new StreamingMasker(detector.Detect, (text, findings) => PiiMasking.Mask(text, findings, vault));

        Assert.Equal("Your card ", masker.Push("Your card 4111 1111"));
        Assert.Equal("<CREDIT_CARD_1> is on file; mail ", masker.Push(" 1111 1111 is on file; mail ann"));
        Assert.Equal("<EMAIL_1> today. ", masker.Push("@example.com today. "));
        Assert.Equal("", masker.Flush());

        // A "word" longer than any entity is not held at all.
        var endless = new string('a', StreamingMasker.MaxHeld + 10);
        Assert.Equal(endless.Length, StreamingMasker.HeldFrom(endless));
        Assert.Equal(6, StreamingMasker.HeldFrom("Hello ann"));
    }
}
