using System.Collections;
using System.Globalization;
using Gateway.Configuration.Model;
using Gateway.Configuration.Yaml;

namespace Gateway.Configuration.Binding;

/// <summary>
/// Binds a <see cref="YamlNode"/> tree onto the immutable config records, expanding environment
/// references in scalars and collecting every problem (unknown keys, wrong types, missing keys)
/// with its position and key path instead of stopping at the first.
/// </summary>
internal sealed class ConfigBinder(Func<string, string?> environment)
{
    private readonly List<ConfigError> _errors = [];

    public SourceMap SourceMap { get; } = new();

    public IReadOnlyList<ConfigError> Errors => _errors;

    public T? Bind<T>(YamlNode node) where T : class => (T?)BindValue(node, typeof(T), "", Traits.None);

    /// <summary>What the binder needs to know of the property a value is bound to.</summary>
    private readonly record struct Traits(bool Secret, bool Nullable, IReadOnlyList<string>? Allowed)
    {
        public static Traits None => default;
    }

    private object? BindValue(YamlNode node, Type type, string path, Traits traits) => BindValue(node, type, path, traits, keyPosition: null);

    /// <param name="keyPosition">Where the key of this value was written: errors about a whole section point there, errors about a scalar at the value.</param>
    private object? BindValue(YamlNode node, Type type, string path, Traits traits, SourcePosition? keyPosition)
    {
        SourceMap.Add(path, node is YamlScalar ? node.Position : keyPosition ?? node.Position);
        var underlying = Nullable.GetUnderlyingType(type) ?? type;

        if (node is YamlScalar { IsNull: true })
        {
            // An empty section (`groups:` with nothing under it) keeps its default; an empty scalar is an error.
            var isSection = underlying.IsGenericType || ConfigTypeInfo.IsConfigRecord(underlying);
            if (!traits.Nullable && !isSection)
            {
                Error(node.Position, path, $"expected {Describe(underlying)}, got nothing");
            }

            return null;
        }

        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            return BindList(node, underlying.GetGenericArguments()[0], path);
        }

        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>))
        {
            return BindDictionary(node, underlying.GetGenericArguments()[1], path, traits.Secret);
        }

        if (ConfigTypeInfo.IsConfigRecord(underlying))
        {
            return BindRecord(node, underlying, path);
        }

        if (node is not YamlScalar scalar)
        {
            Error(node.Position, path, $"expected {Describe(underlying)}, got {Describe(node)}");
            return null;
        }

        return BindScalar(scalar, underlying, path, traits.Secret, traits.Allowed);
    }

    private object? BindRecord(YamlNode node, Type type, string path)
    {
        if (node is not YamlMapping mapping)
        {
            Error(node.Position, path, $"expected a mapping of keys, got {Describe(node)}");
            return null;
        }

        var info = ConfigTypeInfo.For(type);
        var instance = Activator.CreateInstance(type)!;
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Entries.Select(e => (e.Key, e.Value)))
        {
            var childPath = Join(path, key.Value);
            if (!info.ByYamlName.TryGetValue(key.Value, out var property))
            {
                Error(key.Position, childPath, $"unknown key '{key.Value}'{Suggestions.DidYouMean(key.Value, info.ByYamlName.Keys)}");
                continue;
            }

            present.Add(key.Value);
            var bound = BindValue(value, property.Property.PropertyType, childPath, new Traits(property.Secret is not null, property.IsNullable, property.AllowedValues), key.Position);
            if (bound is not null || property.IsNullable)
            {
                property.Property.SetValue(instance, bound);
            }
        }

        foreach (var property in info.Properties)
        {
            if (property.IsRequired && !present.Contains(property.YamlName))
            {
                Error(mapping.Position, path, $"missing required key '{property.YamlName}'");
            }
        }

        return instance;
    }

    private object? BindList(YamlNode node, Type itemType, string path)
    {
        if (node is not YamlSequence sequence)
        {
            Error(node.Position, path, $"expected a list, got {Describe(node)}");
            return null;
        }

        var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(itemType))!;
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var item = BindValue(sequence.Items[i], itemType, $"{path}[{i}]", Traits.None);
            if (item is not null)
            {
                list.Add(item);
            }
        }

        return list;
    }

    private object? BindDictionary(YamlNode node, Type valueType, string path, bool secret)
    {
        if (node is not YamlMapping mapping)
        {
            Error(node.Position, path, $"expected a mapping of names, got {Describe(node)}");
            return null;
        }

        var dictionary = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), valueType), StringComparer.Ordinal)!;
        foreach (var entry in mapping.Entries)
        {
            var childPath = Join(path, entry.Key.Value);
            var value = BindValue(entry.Value, valueType, childPath, Traits.None with { Secret = secret }, entry.Key.Position);
            if (value is not null)
            {
                dictionary[entry.Key.Value] = value;
            }
        }

        return dictionary;
    }

    private object? BindScalar(YamlScalar scalar, Type type, string path, bool secret, IReadOnlyList<string>? allowed)
    {
        var expanded = EnvironmentInterpolator.Expand(scalar.Value, environment);
        if (expanded.SyntaxError is not null)
        {
            Error(scalar.Position, path, expanded.SyntaxError);
            return null;
        }

        if (expanded.MissingVariable is not null)
        {
            Error(scalar.Position, path, $"environment variable '{expanded.MissingVariable}' is not set (write ${{{expanded.MissingVariable}:-default}} to give a default)");
            return null;
        }

        var text = expanded.Value;
        // A value that came from the environment, or a secret, is never quoted back in an error.
        var shown = secret || expanded.UsedEnvironment ? "the value" : $"'{text}'";
        object? value = type switch
        {
            _ when type == typeof(string) => text,
            _ when type == typeof(bool) => text switch { "true" => true, "false" => false, _ => null },
            _ when type == typeof(int) => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : null,
            _ when type == typeof(long) => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : null,
            _ when type == typeof(double) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null,
            _ when type == typeof(decimal) => decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) ? m : null,
            _ when type == typeof(TimeSpan) => Durations.TryParse(text, out var t) ? t : null,
            _ when type == typeof(ByteSize) => ByteSize.TryParse(text, out var b) ? b : null,
            _ when type == typeof(RateWindow) => RateWindow.TryParse(text, out var w) ? w : null,
            _ => throw new InvalidOperationException($"config type {type} has no scalar binding"),
        };

        if (value is null)
        {
            Error(scalar.Position, path, $"{shown} is not {Describe(type)}");
            return null;
        }

        if (allowed is not null && !allowed.Contains(text, StringComparer.Ordinal))
        {
            Error(scalar.Position, path, $"{shown} is not one of {string.Join(", ", allowed)}{Suggestions.DidYouMean(text, allowed)}");
            return null;
        }

        return value;
    }

    private void Error(SourcePosition position, string path, string message) => _errors.Add(new ConfigError(position, path, message));

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    internal static string Describe(Type type) => type switch
    {
        _ when type == typeof(string) => "a string",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) => "a whole number",
        _ when type == typeof(double) || type == typeof(decimal) => "a number",
        _ when type == typeof(TimeSpan) => Durations.Help,
        _ when type == typeof(ByteSize) => "a size such as 512KB, 32MB or 1GB",
        _ when type == typeof(RateWindow) => "a window such as 1s, 1m, 1h, 1d or month",
        _ => "a mapping of keys",
    };

    private static string Describe(YamlNode node) => node switch
    {
        YamlSequence => "a list",
        YamlMapping => "a mapping",
        YamlScalar { IsNull: true } => "nothing",
        _ => "a single value",
    };
}
