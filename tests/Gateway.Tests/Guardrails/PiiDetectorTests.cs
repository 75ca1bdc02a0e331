using Gateway.Guardrails.Detection;

using Gateway.Configuration.Model;

namespace Gateway.Tests.Guardrails;

public sealed class PiiDetectorTests
{
    private static readonly string[] AllEntities =
        [PiiEntities.Email, PiiEntities.Phone, PiiEntities.CreditCard, PiiEntities.Iban, PiiEntities.UsSsn, PiiEntities.IpAddress, PiiEntities.Secret];

    private static readonly PiiDetector Detector = new(AllEntities);

    private static List<(string Entity, string Value)> Find(string text)
    {
        var findings = new List<PiiFinding>();
        Detector.Detect(text, findings);
        return findings.Select(f => (f.Entity, text.Substring(f.Start, f.Length))).ToList();
    }

    [Theory]
    [InlineData("Write to jane.doe+invoices@example.co.uk.", "jane.doe+invoices@example.co.uk")]
    [InlineData("contact: ops@mail.internal-corp.io, thanks", "ops@mail.internal-corp.io")]
    [InlineData("E-Mail an müller@example.de bitte", "ller@example.de")]
    public void Finds_email_addresses(string text, string email) => Assert.Equal([(PiiEntities.Email, email)], Find(text));

    [Theory]
    [InlineData("Card 4111 1111 1111 1111 expires 12/29", "4111 1111 1111 1111")]
    [InlineData("charged 5555-5555-5555-4444 yesterday", "5555-5555-5555-4444")]
    [InlineData("amex 378282246310005 on file", "378282246310005")]
    [InlineData("Discover 6011111111111117.", "6011111111111117")]
    public void Finds_luhn_valid_card_numbers_of_known_brands(string text, string card) => Assert.Equal([(PiiEntities.CreditCard, card)], Find(text));

    [Theory]
    [InlineData("Transfer to DE89 3704 0044 0532 0130 00 today", "DE89 3704 0044 0532 0130 00")]
    [InlineData("IBAN GB82WEST12345698765432 (GBP)", "GB82WEST12345698765432")]
    [InlineData("FR14 2004 1010 0505 0001 3M02 606 EUR", "FR14 2004 1010 0505 0001 3M02 606")]
    public void Finds_ibans_with_the_right_length_and_checksum(string text, string iban) => Assert.Equal([(PiiEntities.Iban, iban)], Find(text));

    [Theory]
    [InlineData("SSN 536-22-1234 on the form", "536-22-1234")]
    [InlineData("my social security number is 536221234", "536221234")]
    public void Finds_us_social_security_numbers(string text, string ssn) => Assert.Equal([(PiiEntities.UsSsn, ssn)], Find(text));

    [Theory]
    [InlineData("server at 192.168.10.24 is down", "192.168.10.24")]
    [InlineData("reach 2001:db8:85a3::8a2e:370:7334 over v6", "2001:db8:85a3::8a2e:370:7334")]
    [InlineData("loopback ::1 and fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a")]
    public void Finds_ip_addresses(string text, string address) => Assert.Contains((PiiEntities.IpAddress, address), Find(text));

    [Theory]
    [InlineData("OPENAI_API_KEY=sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd")]
    [InlineData("key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX-AAAA")]
    [InlineData("aws_access_key_id = AKIAIOSFODNN7EXAMPLE")]
    [InlineData("token ghp_0123456789abcdefghijABCDEFGHIJ012345 leaked")]
    [InlineData("glpat-xxxxxxxxxxxxxxxxxxxx1234")]
    [InlineData("slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx")]
    [InlineData("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")]
    public void Finds_credentials_by_their_formats(string text) => Assert.Equal(PiiEntities.Secret, Assert.Single(Find(text)).Entity);

    [Fact]
    public void Finds_a_pem_private_key_block_whole()
    {
        var pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpF\n-----END RSA PRIVATE KEY-----";
        Assert.Equal([(PiiEntities.Secret, pem)], Find("here: " + pem + " done"));
    }

    [Fact]
    public void Finds_an_aws_secret_access_key_only_by_its_name()
    {
        const string key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        Assert.Equal([(PiiEntities.Secret, key)], Find($"aws_secret_access_key = {key}"));
        Assert.Equal([(PiiEntities.Secret, key)], Find($"export AWS_SECRET_ACCESS_KEY={key}"));
        Assert.Equal([(PiiEntities.Secret, key)], Find($"Secret Access Key: {key}"));
        Assert.Empty(Find($"checksum {key}"));
    }

    [Theory]
    [InlineData("Call +44 20 7946 0958 tomorrow", "+44 20 7946 0958")]
    [InlineData("office: (415) 555-2671 ext. 3", "(415) 555-2671 ext. 3")]
    [InlineData("Ruf an: +49 30 901820", "+49 30 901820")]
    [InlineData("mobil +49 1512 3456589", "+49 1512 3456589")] // its digits also pass Luhn as a 13-digit Visa
    public void Finds_valid_phone_numbers(string text, string phone) => Assert.Equal([(PiiEntities.Phone, phone)], Find(text));

    [Theory]
    [InlineData("Order ORD-2026-000123 shipped on 2026-11-23T10:15:30Z")]
    [InlineData("Meeting at 10:30:45, room 4B")]
    [InlineData("request id 3f2504e0-4f89-11d3-9a0c-0305e82c3301 failed")]
    [InlineData("commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed it")]
    [InlineData("Upgrade to version 1.2.3.4 today")]
    [InlineData("Total: $1,234.56 for 3 items, invoice 4111111111111112")]
    [InlineData("SSN-like 000-12-3456 and 666-45-6789 and 900-12-3456 are never issued")]
    [InlineData("the task-based sk-learn pipeline")]
    [InlineData("plain prose with no numbers at all, just words and punctuation.")]
    [InlineData("Call 555-0100 or 123-4567")]
    [InlineData("XX12 3456 7890 1234 5678 is no IBAN")]
    public void Hard_negatives_are_not_taken_for_entities(string text) => Assert.Empty(Find(text));

    [Fact]
    public void Overlapping_candidates_keep_the_more_specific_entity()
    {
        // A card number is also a run of digits libphonenumber might read as a phone number.
        Assert.Equal([(PiiEntities.CreditCard, "4111111111111111")], Find("pay with 4111111111111111 now"));
    }

    [Fact]
    public void An_answers_created_timestamp_is_not_looked_at_but_the_same_digits_elsewhere_are()
    {
        // Every captured OpenAI answer has "created": its redaction must not run the phone matcher on it each time.
        var found = Find("""{"created":2025550143,"tel":2025550143}""");

        Assert.Equal([(PiiEntities.Phone, "2025550143")], found);
        var findings = new List<PiiFinding>();
        new PiiDetector([PiiEntities.Phone]).Detect("""{"created":2025550143,"tel":2025550143}""", findings);
        Assert.Equal(28, Assert.Single(findings).Start);
    }

    [Fact]
    public void Only_the_configured_entities_are_looked_for()
    {
        var findings = new List<PiiFinding>();
        new PiiDetector([PiiEntities.Email]).Detect("a@b.io and 4111 1111 1111 1111", findings);
        Assert.Equal(PiiEntities.Email, Assert.Single(findings).Entity);
    }

    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("4111111111111112", false)]
    [InlineData("79927398713", true)]
    public void Luhn_check(string digits, bool valid) => Assert.Equal(valid, Validators.Luhn(digits));

    [Theory]
    [InlineData("DE89370400440532013000", true)]
    [InlineData("DE89370400440532013001", false)]
    [InlineData("DE8937040044053201300", false)] // one short for Germany
    [InlineData("GB82WEST12345698765432", true)]
    public void Iban_check(string iban, bool valid) => Assert.Equal(valid, Validators.Iban(iban));

    [Theory]
    [InlineData("536221234", true)]
    [InlineData("000221234", false)]
    [InlineData("666221234", false)]
    [InlineData("912221234", false)]
    [InlineData("536001234", false)]
    [InlineData("536220000", false)]
    [InlineData("078051120", false)]
    public void Ssn_check(string digits, bool valid) => Assert.Equal(valid, Validators.UsSsn(digits));
}
