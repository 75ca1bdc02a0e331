using System.Collections.Concurrent;
using System.ComponentModel;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Gateway.Configuration.Binding;

/// <summary>What the binder and the schema generator know of a config record: its YAML keys.</summary>
internal sealed class ConfigTypeInfo
{
    private static readonly ConcurrentDictionary<Type, ConfigTypeInfo> Cache = new();

    private ConfigTypeInfo(Type type)
    {
        Type = type;
        Description = type.GetCustomAttribute<DescriptionAttribute>()?.Description;
        Properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is not null)
            .Select(p => new ConfigPropertyInfo(p))
            .ToArray();
        ByYamlName = Properties.ToDictionary(p => p.YamlName, StringComparer.Ordinal);
    }

    public Type Type { get; }

    public string? Description { get; }

    public IReadOnlyList<ConfigPropertyInfo> Properties { get; }

    public IReadOnlyDictionary<string, ConfigPropertyInfo> ByYamlName { get; }

    public static ConfigTypeInfo For(Type type) => Cache.GetOrAdd(type, static t => new ConfigTypeInfo(t));

    /// <summary>Config records are the sealed records of the Model namespace.</summary>
    public static bool IsConfigRecord(Type type) =>
        type.IsClass && type.Namespace == typeof(Model.GatewayConfig).Namespace;
}

internal sealed class ConfigPropertyInfo(PropertyInfo property)
{
    public PropertyInfo Property { get; } = property;

    public string YamlName { get; } = JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);

    public bool IsRequired { get; } = property.IsDefined(typeof(RequiredMemberAttribute));

    public SecretAttribute? Secret { get; } = property.GetCustomAttribute<SecretAttribute>();

    public IReadOnlyList<string>? AllowedValues { get; } = property.GetCustomAttribute<AllowedValuesAttribute>()?.Values;

    public string? Description { get; } = property.GetCustomAttribute<DescriptionAttribute>()?.Description;

    public bool IsNullable { get; } = new NullabilityInfoContext().Create(property).WriteState == NullabilityState.Nullable;
}
