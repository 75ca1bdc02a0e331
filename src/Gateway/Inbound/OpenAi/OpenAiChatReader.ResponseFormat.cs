using System.Text.Json;
using Gateway.Core.Chat;
using Gateway.Errors;

namespace Gateway.Inbound.OpenAi;

internal static partial class OpenAiChatReader
{
    /// <summary>
    /// response_format: text (the default), json_object or json_schema. Null error with a null format means plain text;
    /// an error means the target can't honour the one asked for, or it is malformed.
    /// </summary>
    private static GatewayError? ReadResponseFormat(JsonElement element, ChatTarget target, out ChatResponseFormat? format)
    {
        format = null;
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return GatewayErrors.InvalidField("response_format", "expected {\"type\": \"text\" | \"json_object\" | \"json_schema\", …}");
        }

        switch (type.GetString())
        {
            case "text":
                return null;
            case "json_object" when target.Features.HasFlag(ChatFeatures.JsonObject):
                format = new ChatResponseFormat(null, null, false);
                return null;
            case "json_schema" when target.Features.HasFlag(ChatFeatures.JsonSchema):
                if (!element.TryGetProperty("json_schema", out var spec) || spec.ValueKind != JsonValueKind.Object
                    || !spec.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                {
                    return GatewayErrors.InvalidField("response_format.json_schema", "expected {\"name\": …, \"schema\": {…}}");
                }

                if (!spec.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
                {
                    // A schema-less json_schema is only JSON mode under another name, and providers without JSON mode need the schema.
                    return GatewayErrors.InvalidField("response_format.json_schema.schema", "expected the JSON Schema of the answer");
                }

                format = new ChatResponseFormat(name.GetString(), schema.GetRawText(), spec.TryGetProperty("strict", out var strict) && strict.ValueKind == JsonValueKind.True);
                return null;
            case "json_object" or "json_schema":
                return GatewayErrors.UnsupportedParameter($"response_format ({type.GetString()})", target.Provider, target.ProviderType);
            default:
                return GatewayErrors.InvalidField("response_format.type", "expected text, json_object or json_schema");
        }
    }
}
