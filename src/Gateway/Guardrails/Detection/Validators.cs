namespace Gateway.Guardrails.Detection;

/// <summary>Checksums and format rules that tell a real card, IBAN or SSN from a number that only looks like one.</summary>
internal static class Validators
{
    /// <summary>The Luhn (mod 10) check every payment card number passes.</summary>
    public static bool Luhn(ReadOnlySpan<char> digits)
    {
        var sum = 0;
        var doubled = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (d is < 0 or > 9)
            {
                return false;
            }

            if (doubled)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubled = !doubled;
        }

        return digits.Length > 0 && sum % 10 == 0;
    }

    /// <summary>
    /// Whether a 13–19 digit number is issued by a major card brand at that length (Visa, Mastercard, American Express,
    /// Discover, JCB, Diners Club, UnionPay, Maestro): a Luhn-valid run of digits with no brand is more often an id.
    /// </summary>
    public static bool IsCardBrandNumber(ReadOnlySpan<char> digits)
    {
        var length = digits.Length;
        var prefix4 = int.Parse(digits[..4], System.Globalization.CultureInfo.InvariantCulture);
        int Prefix(int count) => count switch { 2 => prefix4 / 100, 3 => prefix4 / 10, _ => prefix4 };
        return (digits[0] == '4' && length is 13 or 16 or 19) // Visa
            || (Prefix(2) is >= 51 and <= 55 && length == 16) || (Prefix(4) is >= 2221 and <= 2720 && length == 16) // Mastercard
            || (Prefix(2) is 34 or 37 && length == 15) // American Express
            || ((Prefix(4) == 6011 || Prefix(2) == 65 || Prefix(3) is >= 644 and <= 649) && length is >= 16 and <= 19) // Discover
            || (Prefix(4) is >= 3528 and <= 3589 && length is >= 16 and <= 19) // JCB
            || ((Prefix(3) is >= 300 and <= 305 || Prefix(2) is 36 or 38 or 39) && length is >= 14 and <= 19) // Diners Club
            || (Prefix(2) == 62 && length is >= 16 and <= 19) // UnionPay
            || (Prefix(2) is 50 or (>= 56 and <= 58) or 67 && length is >= 12 and <= 19); // Maestro
    }

    /// <summary>IBAN lengths by country (ISO 13616 registry), for the countries that issue them.</summary>
    private static readonly Dictionary<string, int> IbanLengths = new(StringComparer.Ordinal)
    {
        ["AD"] = 24, ["AE"] = 23, ["AL"] = 28, ["AT"] = 20, ["AZ"] = 28, ["BA"] = 20, ["BE"] = 16, ["BG"] = 22, ["BH"] = 22,
        ["BR"] = 29, ["BY"] = 28, ["CH"] = 21, ["CR"] = 22, ["CY"] = 28, ["CZ"] = 24, ["DE"] = 22, ["DK"] = 18, ["DO"] = 28,
        ["EE"] = 20, ["EG"] = 29, ["ES"] = 24, ["FI"] = 18, ["FO"] = 18, ["FR"] = 27, ["GB"] = 22, ["GE"] = 22, ["GI"] = 23,
        ["GL"] = 18, ["GR"] = 27, ["GT"] = 28, ["HR"] = 21, ["HU"] = 28, ["IE"] = 22, ["IL"] = 23, ["IQ"] = 23, ["IS"] = 26,
        ["IT"] = 27, ["JO"] = 30, ["KW"] = 30, ["KZ"] = 20, ["LB"] = 28, ["LC"] = 32, ["LI"] = 21, ["LT"] = 20, ["LU"] = 20,
        ["LV"] = 21, ["MC"] = 27, ["MD"] = 24, ["ME"] = 22, ["MK"] = 19, ["MR"] = 27, ["MT"] = 31, ["MU"] = 30, ["NL"] = 18,
        ["NO"] = 15, ["PK"] = 24, ["PL"] = 28, ["PS"] = 29, ["PT"] = 25, ["QA"] = 29, ["RO"] = 24, ["RS"] = 22, ["SA"] = 24,
        ["SC"] = 31, ["SE"] = 24, ["SI"] = 19, ["SK"] = 24, ["SM"] = 27, ["ST"] = 25, ["SV"] = 28, ["TL"] = 23, ["TN"] = 24,
        ["TR"] = 26, ["UA"] = 29, ["VA"] = 22, ["VG"] = 24, ["XK"] = 20,
    };

    /// <summary>An IBAN without spaces: the country's length and the ISO 7064 mod-97 check (remainder 1).</summary>
    public static bool Iban(ReadOnlySpan<char> iban)
    {
        if (iban.Length < 15 || iban.Length > 34 || !IbanLengths.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(iban[..2], out var length) || length != iban.Length)
        {
            return false;
        }

        // Move the first four characters to the end, letters become 10–35, and the number mod 97 must be 1.
        var remainder = 0;
        for (var i = 0; i < iban.Length; i++)
        {
            var c = iban[(i + 4) % iban.Length];
            if (char.IsAsciiDigit(c))
            {
                remainder = (remainder * 10 + (c - '0')) % 97;
            }
            else if (char.IsAsciiLetterUpper(c))
            {
                remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
            }
            else
            {
                return false;
            }
        }

        return remainder == 1;
    }

    /// <summary>
    /// A US social security number (9 digits) the SSA could have issued: area not 000, 666 or 900–999, group not 00,
    /// serial not 0000, and not one of the numbers famous from advertising and examples.
    /// </summary>
    public static bool UsSsn(ReadOnlySpan<char> digits)
    {
        if (digits.Length != 9 || digits.ContainsAnyExceptInRange('0', '9'))
        {
            return false;
        }

        var area = int.Parse(digits[..3], System.Globalization.CultureInfo.InvariantCulture);
        var group = int.Parse(digits[3..5], System.Globalization.CultureInfo.InvariantCulture);
        var serial = int.Parse(digits[5..], System.Globalization.CultureInfo.InvariantCulture);
        return area is not (0 or 666 or >= 900) && group != 0 && serial != 0
            && !digits.SequenceEqual("078051120") && !digits.SequenceEqual("219099999") && !digits.SequenceEqual("123456789");
    }
}
