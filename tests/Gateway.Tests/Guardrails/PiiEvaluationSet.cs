using System.Text;
using Bogus;
using Bogus.Extensions.UnitedStates;
using Gateway.Guardrails.Detection;
using PhoneNumbers;

using Gateway.Configuration.Model;

namespace Gateway.Tests.Guardrails;

/// <summary>A labelled text: where each entity is. Generated, so the labels are exact.</summary>
internal sealed record LabelledText(string Text, IReadOnlyList<PiiFinding> Labels);

/// <summary>
/// A labelled evaluation set generated with Bogus (seeded: the same set every run): entities of every type in
/// prose of several languages and formats (sentences, key: value lines, JSON, CSV), and hard negatives that look
/// like entities and are not (order ids, timestamps, UUIDs, git hashes, prices, versions, Luhn-invalid card-like
/// numbers, IBANs with a broken checksum, never-issued SSNs, invalid phone numbers).
/// </summary>
internal static class PiiEvaluationSet
{
    private static readonly string[] Locales = ["en", "de", "fr", "es", "nl"];

    private static readonly Dictionary<string, string[]> Templates = new()
    {
        ["en"] = ["Please contact {0} about the renewal.", "Customer record — {0} — updated by support.", "As discussed, the value is {0}; let me know."],
        ["de"] = ["Bitte melden Sie sich unter {0} zurück.", "Kundendaten: {0}, geprüft am Montag.", "Wie besprochen lautet der Wert {0}."],
        ["fr"] = ["Merci de contacter {0} pour le renouvellement.", "Fiche client : {0} (mise à jour).", "Comme convenu, la valeur est {0}."],
        ["es"] = ["Por favor, escriba a {0} antes del viernes.", "Datos del cliente: {0}, revisados hoy.", "Como acordamos, el valor es {0}."],
        ["nl"] = ["Neem contact op via {0} over de verlenging.", "Klantgegevens: {0} — bijgewerkt.", "Zoals besproken is de waarde {0}."],
    };

    public static IReadOnlyList<LabelledText> Generate(int perEntity = 210, int negatives = 1200)
    {
        Randomizer.Seed = new Random(20261123);
        var faker = new Faker("en");
        var samples = new List<LabelledText>();
        var generators = new (string Entity, Func<Faker, string> Value)[]
        {
            (PiiEntities.Email, f => f.Internet.Email(f.Name.FirstName(), f.Name.LastName())),
            (PiiEntities.CreditCard, f => Card(f)),
            (PiiEntities.Iban, f => f.Finance.Iban(formatted: f.Random.Bool())),
            (PiiEntities.UsSsn, f => f.Person.Ssn()),
            (PiiEntities.IpAddress, f => f.Random.Bool(0.7f) ? f.Internet.Ip() : f.Internet.Ipv6()),
            (PiiEntities.Secret, f => Secret(f)),
            (PiiEntities.Phone, f => Phone(f)),
        };

        foreach (var (entity, value) in generators)
        {
            for (var i = 0; i < perEntity; i++)
            {
                faker = new Faker(Locales[i % Locales.Length]);
                samples.Add(Place(faker, entity, value(faker), Locales[i % Locales.Length], i));
            }
        }

        for (var i = 0; i < negatives; i++)
        {
            faker = new Faker(Locales[i % Locales.Length]);
            var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, Templates[Locales[i % Locales.Length]][i % 3], HardNegative(faker, i));
            samples.Add(new LabelledText(text, []));
        }

        return samples;
    }

    private static LabelledText Place(Faker faker, string entity, string value, string locale, int i)
    {
        var text = new StringBuilder();
        var labels = new List<PiiFinding>();
        void Put(string what, string entityType)
        {
            labels.Add(new PiiFinding(entityType, text.Length, what.Length, 1));
            text.Append(what);
        }

        switch (i % 7)
        {
            case 0:
                var template = Templates[locale][i % 3];
                var slot = template.IndexOf("{0}", StringComparison.Ordinal);
                text.Append(template.AsSpan(0, slot));
                Put(value, entity);
                text.Append(template.AsSpan(slot + 3));
                break;
            case 1:
                text.Append(faker.Lorem.Sentence()).Append('\n').Append(entity.ToLowerInvariant()).Append(": ");
                Put(value, entity);
                text.Append('\n').Append(faker.Lorem.Sentence());
                break;
            case 2:
                text.Append("{\"name\":\"").Append(faker.Name.FullName()).Append("\",\"value\":\"");
                Put(value, entity);
                text.Append("\",\"note\":\"").Append(faker.Lorem.Word()).Append("\"}");
                break;
            case 3:
                text.Append(faker.Random.Int(1, 999)).Append(',').Append(faker.Name.LastName()).Append(',');
                Put(value, entity);
                text.Append(',').Append(faker.Date.Past().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
                break;
            case 4:
                // A Markdown table row, the entity first in its cell.
                text.Append("| ").Append(faker.Name.FullName()).Append(" | ");
                Put(value, entity);
                text.Append(" | ").Append(faker.Commerce.Department()).Append(" |");
                break;
            case 5:
                // A log line: an id, a timestamp and a duration around the entity, which must not count.
                text.Append(faker.Date.Recent().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture))
                    .Append(" INFO req=").Append(faker.Random.Hash(12)).Append(" value=");
                Put(value, entity);
                text.Append(" took=").Append(faker.Random.Int(1, 900)).Append("ms");
                break;
            default:
                // Two entities of different kinds in one sentence, the first at the very start.
                Put(value, entity);
                text.Append(' ').Append(faker.Lorem.Word()).Append(' ');
                var (other, otherValue) = entity == PiiEntities.Email
                    ? (PiiEntities.IpAddress, faker.Internet.Ip())
                    : (PiiEntities.Email, faker.Internet.Email(faker.Name.FirstName(), faker.Name.LastName()));
                Put(otherValue, other);
                text.Append('.');
                break;
        }

        return new LabelledText(text.ToString(), labels);
    }

    /// <summary>A Luhn-valid number of a random major brand, grouped as printed on cards or not at all.</summary>
    private static string Card(Faker f)
    {
        var (prefix, length) = f.PickRandom(("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15), ("6011", 16), ("3530", 16));
        var digits = prefix + f.Random.String2(length - prefix.Length - 1, "0123456789");
        digits += LuhnDigit(digits);
        if (f.Random.Bool())
        {
            return digits;
        }

        var separator = f.PickRandom(" ", "-");
        return length == 15
            ? string.Join(separator, digits[..4], digits[4..10], digits[10..])
            : string.Join(separator, Enumerable.Range(0, 4).Select(g => digits.Substring(g * 4, 4)));
    }

    private static char LuhnDigit(string payload)
    {
        for (var d = '0'; d <= '9'; d++)
        {
            if (Validators.Luhn(payload + d))
            {
                return d;
            }
        }

        throw new InvalidOperationException("unreachable");
    }

    private static string Secret(Faker f)
    {
        const string alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return f.Random.Int(0, 6) switch
        {
            0 => "sk-proj-" + f.Random.String2(48, alnum + "_-"),
            1 => "sk-ant-api03-" + f.Random.String2(93, alnum + "_-") + "AA",
            2 => "AKIA" + f.Random.String2(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
            3 => "ghp_" + f.Random.String2(36, alnum),
            4 => "glpat-" + f.Random.String2(20, alnum + "_-"),
            5 => "xoxb-" + f.Random.String2(12, "0123456789") + "-" + f.Random.String2(24, alnum),
            _ => "eyJ" + f.Random.String2(20, alnum) + ".eyJ" + f.Random.String2(40, alnum) + "." + f.Random.String2(43, alnum + "_-"),
        };
    }

    /// <summary>A valid number of one of six countries, written internationally, or nationally for the US.</summary>
    private static string Phone(Faker f)
    {
        var util = PhoneNumberUtil.GetInstance();
        var region = f.PickRandom("US", "GB", "DE", "FR", "NL", "ES");
        var example = util.GetExampleNumberForType(region, f.PickRandom(PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE));
        // Vary the last digits of the region's example number until the numbering plan accepts the result.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var national = example.NationalNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var varied = national[..^3] + f.Random.String2(3, "0123456789");
            var number = util.Parse(varied, region);
            if (util.IsValidNumber(number))
            {
                // National formats only for the detector's home region: elsewhere a number needs its country code.
                if (region == "US" && f.Random.Bool())
                {
                    var digits = number.NationalNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return f.Random.Int(0, 3) switch
                    {
                        0 => util.Format(number, PhoneNumberFormat.NATIONAL), // (202) 555-0143
                        1 => $"{digits[..3]}-{digits[3..6]}-{digits[6..]}",
                        2 => $"{digits[..3]}.{digits[3..6]}.{digits[6..]}",
                        _ => $"1-{digits[..3]}-{digits[3..6]}-{digits[6..]}",
                    };
                }

                return f.Random.Int(0, 3) == 0 ? util.Format(number, PhoneNumberFormat.E164) : util.Format(number, PhoneNumberFormat.INTERNATIONAL);
            }
        }

        return util.Format(example, PhoneNumberFormat.INTERNATIONAL);
    }

    private static string HardNegative(Faker f, int i) => (i % 24) switch
    {
        0 => $"ORD-{f.Random.Int(2020, 2026)}-{f.Random.Int(0, 999999):D6}",
        1 => f.Date.Recent().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        2 => f.Random.Guid().ToString(),
        3 => f.Random.Hash(40),
        4 => "$" + f.Finance.Amount(10, 100000).ToString("N2", System.Globalization.CultureInfo.InvariantCulture),
        5 => $"version {f.System.Semver()}",
        6 => LuhnInvalidCard(f),
        7 => BrokenIban(f),
        8 => $"{f.PickRandom(0, 666, 901)}-{f.Random.Int(10, 99)}-{f.Random.Int(1000, 9999)}",
        9 => f.Date.Recent().ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
        10 => $"{f.Random.Int(1, 9)}.{f.Random.Int(0, 30)}.{f.Random.Int(0, 99)}",
        11 => $"+1 555 01{f.Random.Int(0, 99):D2}",
        // An IMEI: 15 digits and Luhn-valid, but no card brand issues 15 digits starting 35.
        12 => ImeiLike(f),
        // A Unix time in milliseconds: 13 digits.
        13 => f.Date.Recent().ToUniversalTime().Subtract(DateTime.UnixEpoch).TotalMilliseconds.ToString("F0", System.Globalization.CultureInfo.InvariantCulture),
        // A retina image asset, not an address.
        14 => $"{f.Lorem.Word()}-icon@2x.png",
        15 => $"order number {f.Random.Int(201, 989)}-555-01{f.Random.Int(0, 99):D2}",
        16 => f.Date.Past().ToString(f.PickRandom("dd.MM.yyyy", "MM/dd/yyyy", "yyyy/MM/dd"), System.Globalization.CultureInfo.InvariantCulture),
        17 => $"build 10.0.{f.Random.Int(10000, 26000)}.{f.Random.Int(1000, 5000)}",
        18 => $"v{f.Random.Int(1, 9)}.{f.Random.Int(0, 20)}.{f.Random.Int(0, 20)}.{f.Random.Int(0, 99)}",
        19 => f.Random.Hash(64),
        20 => $"ISBN 978-{f.Random.Int(0, 9)}-{f.Random.Int(10, 99)}-{f.Random.Int(100000, 999999)}-{f.Random.Int(0, 9)}",
        21 => $"{f.Address.Latitude():F4}, {f.Address.Longitude():F4}",
        22 => string.Join(':', Enumerable.Range(0, 6).Select(_ => f.Random.Hexadecimal(2, prefix: ""))),
        _ => $"{f.Random.Int(1, 9)}.{f.Random.Int(0, 9)}.{f.Random.Int(0, 9)}-beta.{f.Random.Int(1, 9)}",
    };

    private static string ImeiLike(Faker f)
    {
        var digits = "35" + f.Random.String2(12, "0123456789");
        return digits + LuhnDigit(digits);
    }

    private static string LuhnInvalidCard(Faker f)
    {
        var digits = "4" + f.Random.String2(14, "0123456789");
        var valid = LuhnDigit(digits);
        return digits + (char)('0' + (valid - '0' + f.Random.Int(1, 9)) % 10);
    }

    private static string BrokenIban(Faker f)
    {
        var iban = f.Finance.Iban();
        var last = iban[^1];
        return iban[..^1] + (char.IsAsciiDigit(last) ? (char)('0' + (last - '0' + 1) % 10) : 'Z' == last ? 'A' : (char)(last + 1));
    }
}
