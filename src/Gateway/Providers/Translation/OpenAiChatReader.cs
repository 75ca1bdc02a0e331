using System.Text.Json;
using Gateway.Errors;

namespace Gateway.Providers.Translation;

/// <summary>
/// Reads an OpenAI chat completion request into a <see cref="ChatRequest"/> for a translating provider.
/// The body was already validated as JSON by the request reader; this pass checks meaning. A parameter the
/// provider cannot honour is a 400 naming it, unless its value is OpenAI's default (a no-op either way).
/// </summary>
internal static class OpenAiChatReader
{
    // Fields with no equivalent in the translated providers yet, and the value that means "not used".
    private static readonly (string Field, Func<JsonElement, bool> IsDefault)[] Unsupported =
    [
        ("tools", e => e.ValueKind is JsonValueKind.Null || (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 0)),
        ("tool_choice", e => e.ValueKind is JsonValueKind.Null || (e.ValueKind == JsonValueKind.String && e.ValueEquals("none"))),
        ("functions", e => e.ValueKind is JsonValueKind.Null),
        ("function_call", e => e.ValueKind is JsonValueKind.Null),
        ("response_format", e => e.ValueKind is JsonValueKind.Null || (e.TryGetProperty("type", out var t) && t.ValueEquals("text"))),
        ("n", e => e.ValueKind is JsonValueKind.Null || (e.TryGetInt32(out var n) && n == 1)),
        ("logprobs", e => e.ValueKind is JsonValueKind.Null or JsonValueKind.False),
        ("top_logprobs", e => e.ValueKind is JsonValueKind.Null),
        ("logit_bias", e => e.ValueKind is JsonValueKind.Null || (e.ValueKind == JsonValueKind.Object && !e.EnumerateObject().Any())),
        ("presence_penalty", e => e.ValueKind is JsonValueKind.Null || (e.TryGetDouble(out var p) && p == 0)),
        ("frequency_penalty", e => e.ValueKind is JsonValueKind.Null || (e.TryGetDouble(out var p) && p == 0)),
        ("seed", e => e.ValueKind is JsonValueKind.Null),
        ("audio", e => e.ValueKind is JsonValueKind.Null),
        ("modalities", e => e.ValueKind is JsonValueKind.Null),
        ("prediction", e => e.ValueKind is JsonValueKind.Null),
    ];

    public static GatewayError? TryRead(ReadOnlyMemory<byte> body, string provider, string providerType, out ChatRequest? request)
    {
        request = null;
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        foreach (var (field, isDefault) in Unsupported)
        {
            if (root.TryGetProperty(field, out var value) && !isDefault(value))
            {
                return GatewayErrors.UnsupportedParameter(field, provider, providerType);
            }
        }

        var system = new List<string>();
        var turns = new List<ChatTurn>();
        var messages = root.GetProperty("messages");
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var path = $"messages[{index++}]";
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var roleElement) || roleElement.ValueKind != JsonValueKind.String)
            {
                return GatewayErrors.InvalidField($"{path}.role", "expected an object with a role");
            }

            var role = roleElement.GetString();
            if (role is "tool" or "function" || (role == "assistant" && (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind != JsonValueKind.Null)))
            {
                return GatewayErrors.UnsupportedParameter($"{path} (tool calls and results)", provider, providerType);
            }

            var text = new List<string>();
            if (ReadContent(message, path, text, provider, providerType) is { } contentError)
            {
                return contentError;
            }

            switch (role)
            {
                case "system" or "developer":
                    system.AddRange(text);
                    break;
                case "user" or "assistant":
                    var chatRole = role == "user" ? ChatRole.User : ChatRole.Assistant;
                    if (turns.Count > 0 && turns[^1].Role == chatRole)
                    {
                        // Providers with strict alternation take one turn per role; the parts stay separate.
                        turns[^1] = turns[^1] with { Text = [.. turns[^1].Text, .. text] };
                    }
                    else
                    {
                        turns.Add(new ChatTurn(chatRole, text));
                    }

                    break;
                default:
                    return GatewayErrors.InvalidField($"{path}.role", "expected system, developer, user or assistant");
            }
        }

        if (turns.Count == 0)
        {
            return GatewayErrors.InvalidField("messages", "needs at least one user or assistant message besides system messages");
        }

        var maxTokens = Int(root, "max_completion_tokens") ?? Int(root, "max_tokens");
        var stop = new List<string>();
        if (root.TryGetProperty("stop", out var stopElement))
        {
            if (stopElement.ValueKind == JsonValueKind.String)
            {
                stop.Add(stopElement.GetString()!);
            }
            else if (stopElement.ValueKind == JsonValueKind.Array)
            {
                stop.AddRange(stopElement.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.String).Select(s => s.GetString()!));
            }
        }

        var includeUsage = root.TryGetProperty("stream_options", out var options) && options.ValueKind == JsonValueKind.Object
            && options.TryGetProperty("include_usage", out var usage) && usage.ValueKind == JsonValueKind.True;
        request = new ChatRequest(system, turns, maxTokens, Double(root, "temperature"), Double(root, "top_p"), stop,
            root.TryGetProperty("user", out var user) && user.ValueKind == JsonValueKind.String ? user.GetString() : null,
            root.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True, includeUsage);
        return null;
    }

    private static GatewayError? ReadContent(JsonElement message, string path, List<string> text, string provider, string providerType)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return GatewayErrors.MissingField($"{path}.content");
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            text.Add(content.GetString()!);
            return null;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return GatewayErrors.InvalidField($"{path}.content", "expected a string or an array of content parts");
        }

        var part = 0;
        foreach (var item in content.EnumerateArray())
        {
            var partPath = $"{path}.content[{part++}]";
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("type", out var type))
            {
                return GatewayErrors.InvalidField(partPath, "expected a content part with a type");
            }

            if (!type.ValueEquals("text"))
            {
                return GatewayErrors.UnsupportedParameter($"{partPath} ({type.GetString()} parts)", provider, providerType);
            }

            if (!item.TryGetProperty("text", out var value) || value.ValueKind != JsonValueKind.String)
            {
                return GatewayErrors.InvalidField($"{partPath}.text", "expected a string");
            }

            text.Add(value.GetString()!);
        }

        return null;
    }

    private static int? Int(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.TryGetInt32(out var number) ? number : null;

    private static double? Double(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
