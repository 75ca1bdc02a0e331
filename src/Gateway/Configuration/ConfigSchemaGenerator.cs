using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Configuration.Binding;
using Gateway.Configuration.Model;

namespace Gateway.Configuration;

/// <summary>
/// Writes the JSON Schema of gateway.yaml from the config records themselves, so the schema editors use
/// (config/gateway.schema.json) cannot drift from what the gateway accepts; a test compares the two.
/// </summary>
internal static class ConfigSchemaGenerator
{
    private const string DurationPattern = "^[0-9]+(ms|s|m|h|d)$";
    private const string EnvReferencePattern = "\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}";

    public static string Generate(IReadOnlyCollection<string> providerTypes)
    {
        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = "https://github.com/gateway/gateway/config/gateway.schema.json",
            ["title"] = "gateway.yaml",
        };
        foreach (var (key, value) in Record(typeof(GatewayConfig), providerTypes))
        {
            schema[key] = value?.DeepClone();
        }

        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonObject Record(Type type, IReadOnlyCollection<string> providerTypes)
    {
        var info = ConfigTypeInfo.For(type);
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var property in info.Properties)
        {
            var node = Schema(property.Property.PropertyType, property, providerTypes);
            if (property.Description is not null)
            {
                node["description"] = property.Description;
            }

            properties[property.YamlName] = node;
            if (property.IsRequired)
            {
                required.Add(property.YamlName);
            }
        }

        var schema = new JsonObject { ["type"] = "object" };
        if (info.Description is not null)
        {
            schema["description"] = info.Description;
        }

        schema["properties"] = properties;
        schema["additionalProperties"] = false;
        if (required.Count > 0)
        {
            schema["required"] = required;
        }

        return schema;
    }

    private static JsonObject Schema(Type type, ConfigPropertyInfo? property, IReadOnlyCollection<string> providerTypes)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        var nullable = property?.IsNullable == true;
        JsonObject schema;
        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            schema = new JsonObject { ["type"] = "array", ["items"] = Schema(underlying.GetGenericArguments()[0], null, providerTypes) };
        }
        else if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>))
        {
            schema = new JsonObject { ["type"] = "object", ["additionalProperties"] = Schema(underlying.GetGenericArguments()[1], null, providerTypes) };
        }
        else if (ConfigTypeInfo.IsConfigRecord(underlying))
        {
            schema = Record(underlying, providerTypes);
        }
        else
        {
            schema = Scalar(underlying, property, providerTypes);
        }

        return nullable ? new JsonObject { ["anyOf"] = new JsonArray(schema, new JsonObject { ["type"] = "null" }) } : schema;
    }

    private static JsonObject Scalar(Type type, ConfigPropertyInfo? property, IReadOnlyCollection<string> providerTypes)
    {
        if (property?.YamlName == "type" && property.Property.DeclaringType == typeof(ProviderConfig))
        {
            return new JsonObject { ["enum"] = new JsonArray(providerTypes.Order(StringComparer.Ordinal).Select(t => (JsonNode)t!).ToArray()) };
        }

        if (property?.AllowedValues is { } allowed)
        {
            return new JsonObject { ["enum"] = new JsonArray(allowed.Select(v => (JsonNode)v!).ToArray()) };
        }

        // Numbers and booleans may also come from the environment (${VAR}), which YAML reads as a string.
        return type switch
        {
            _ when type == typeof(string) => new JsonObject { ["type"] = "string" },
            _ when type == typeof(bool) => OrEnvReference(new JsonObject { ["type"] = "boolean" }),
            _ when type == typeof(int) || type == typeof(long) => OrEnvReference(new JsonObject { ["type"] = "integer" }),
            _ when type == typeof(double) || type == typeof(decimal) => OrEnvReference(new JsonObject { ["type"] = "number" }),
            _ when type == typeof(TimeSpan) => new JsonObject { ["type"] = "string", ["pattern"] = DurationPattern },
            _ when type == typeof(ByteSize) => new JsonObject { ["type"] = new JsonArray("string", "integer"), ["pattern"] = "^[0-9]+(B|KB|MB|GB)?$" },
            _ when type == typeof(RateWindow) => new JsonObject { ["type"] = "string", ["pattern"] = "^([0-9]+(ms|s|m|h|d)|month)$" },
            _ => throw new InvalidOperationException($"no schema for {type}"),
        };
    }

    private static JsonObject OrEnvReference(JsonObject schema) =>
        new() { ["anyOf"] = new JsonArray(schema, new JsonObject { ["type"] = "string", ["pattern"] = EnvReferencePattern }) };
}
