using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Gateway.Configuration.Binding;
using Gateway.Configuration.Model;
using Gateway.Errors;

namespace Gateway.Admin;

/// <summary>
/// Serialises the effective config for the admin API with every <see cref="SecretAttribute"/> value
/// redacted, so the admin API can never show a credential however the config changes.
/// </summary>
internal static class ConfigView
{
    public const string Redacted = "[redacted]";

    public static readonly JsonSerializerOptions Options = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            WriteIndented = true,
            Encoder = GatewayJson.WriterOptions.Encoder,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { RedactSecrets } },
            Converters =
            {
                new StringFormConverter<TimeSpan>(Durations.Format),
                new StringFormConverter<ByteSize>(b => b.ToString()),
                new StringFormConverter<RateWindow>(w => w.ToString()),
            },
        };
        options.MakeReadOnly();
        return options;
    }

    private static void RedactSecrets(JsonTypeInfo type)
    {
        foreach (var property in type.Properties)
        {
            if (property.AttributeProvider is not PropertyInfo info || info.GetCustomAttribute<SecretAttribute>() is not { } secret || property.Get is not { } get)
            {
                continue;
            }

            property.Get = property.PropertyType == typeof(string)
                ? owner => get(owner) is string value ? RedactString(value, secret) : null
                : owner => get(owner) is IReadOnlyDictionary<string, string> values ? values.ToDictionary(v => v.Key, _ => Redacted) : null;
        }
    }

    private static string RedactString(string value, SecretAttribute secret)
    {
        if (!secret.OnlyUserInfo)
        {
            return Redacted;
        }

        return Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? value.Replace(uri.UserInfo + "@", Redacted + "@", StringComparison.Ordinal)
            : value;
    }

    private sealed class StringFormConverter<T>(Func<T, string> format) : JsonConverter<T>
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException("the config view is write-only");

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(format(value));
    }
}
