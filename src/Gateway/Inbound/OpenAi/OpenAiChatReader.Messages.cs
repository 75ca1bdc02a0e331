using System.Text.Json;
using Gateway.Core.Chat;
using Gateway.Errors;

namespace Gateway.Inbound.OpenAi;

internal static partial class OpenAiChatReader
{
    /// <summary>Reads the messages into the system prompt and the turns, merging a role's consecutive messages into one turn.</summary>
    private static GatewayError? ReadMessages(JsonElement root, ChatTarget target, List<string> system, List<ChatTurn> turns)
    {
        var provider = target.Provider;
        var providerType = target.ProviderType;
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
            var parts = new List<ChatPart>();
            var error = role switch
            {
                "tool" => ReadToolResult(message, path, parts),
                "function" => GatewayErrors.UnsupportedParameter($"{path} (legacy function messages; use tool messages)", provider, providerType),
                "assistant" => ReadAssistant(message, path, parts, provider, providerType),
                _ => ReadContent(message, path, parts, provider, providerType, required: true),
            };
            if (error is not null)
            {
                return error;
            }

            switch (role)
            {
                case "system" or "developer" when parts.Any(p => p is not TextPart):
                    return GatewayErrors.UnsupportedParameter($"{path}.content (images in {role} messages)", provider, providerType);
                case "system" or "developer":
                    system.AddRange(parts.OfType<TextPart>().Select(p => p.Text));
                    break;
                case "user" or "assistant" or "tool":
                    // Tool results travel in the user's turn, as providers with strict alternation expect.
                    var chatRole = role == "assistant" ? ChatRole.Assistant : ChatRole.User;
                    if (turns.Count > 0 && turns[^1].Role == chatRole)
                    {
                        turns[^1] = turns[^1] with { Parts = [.. turns[^1].Parts, .. parts] };
                    }
                    else
                    {
                        turns.Add(new ChatTurn(chatRole, parts));
                    }

                    break;
                default:
                    return GatewayErrors.InvalidField($"{path}.role", "expected system, developer, user, assistant or tool");
            }
        }

        return null;
    }

    private static GatewayError? ReadAssistant(JsonElement message, string path, List<ChatPart> parts, string provider, string providerType)
    {
        var hasCalls = message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array && calls.GetArrayLength() > 0;
        if (ReadContent(message, path, parts, provider, providerType, required: !hasCalls) is { } error)
        {
            return error;
        }

        if (!hasCalls)
        {
            return null;
        }

        var i = 0;
        foreach (var call in calls.EnumerateArray())
        {
            var callPath = $"{path}.tool_calls[{i++}]";
            if (!call.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || !call.TryGetProperty("function", out var function) || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                return GatewayErrors.InvalidField(callPath, "expected an id and a function name");
            }

            var arguments = function.TryGetProperty("arguments", out var args) && args.ValueKind == JsonValueKind.String ? args.GetString()! : "{}";
            if (string.IsNullOrWhiteSpace(arguments))
            {
                arguments = "{}";
            }

            // Providers take the arguments as a JSON object, not as text: it has to be one.
            try
            {
                using var parsed = JsonDocument.Parse(arguments);
                if (parsed.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return GatewayErrors.InvalidField($"{callPath}.function.arguments", "expected a JSON object in the string");
                }
            }
            catch (JsonException)
            {
                return GatewayErrors.InvalidField($"{callPath}.function.arguments", "expected a JSON object in the string");
            }

            parts.Add(new ToolCallPart(id.GetString()!, name.GetString()!, arguments));
        }

        return null;
    }

    private static GatewayError? ReadToolResult(JsonElement message, string path, List<ChatPart> parts)
    {
        if (!message.TryGetProperty("tool_call_id", out var id) || id.ValueKind != JsonValueKind.String)
        {
            return GatewayErrors.MissingField($"{path}.tool_call_id");
        }

        var text = new List<ChatPart>();
        if (ReadContent(message, path, text, "", "", required: true) is { } error)
        {
            return error;
        }

        if (text.Any(p => p is not TextPart))
        {
            return GatewayErrors.InvalidField($"{path}.content", "a tool result is text");
        }

        parts.Add(new ToolResultPart(id.GetString()!, string.Concat(text.OfType<TextPart>().Select(t => t.Text))));
        return null;
    }

    private static GatewayError? ReadContent(JsonElement message, string path, List<ChatPart> parts, string provider, string providerType, bool required)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return required ? GatewayErrors.MissingField($"{path}.content") : null;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            if (required || content.GetString()!.Length > 0)
            {
                parts.Add(new TextPart(content.GetString()!));
            }

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

            if (type.ValueEquals("image_url"))
            {
                if (ReadImage(item, partPath, parts, provider, providerType) is { } imageError)
                {
                    return imageError;
                }

                continue;
            }

            if (!type.ValueEquals("text"))
            {
                return GatewayErrors.UnsupportedParameter($"{partPath} ({type.GetString()} parts)", provider, providerType);
            }

            if (!item.TryGetProperty("text", out var value) || value.ValueKind != JsonValueKind.String)
            {
                return GatewayErrors.InvalidField($"{partPath}.text", "expected a string");
            }

            parts.Add(new TextPart(value.GetString()!));
        }

        return null;
    }

    private static readonly string[] ImageTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"];

    private static GatewayError? ReadImage(JsonElement item, string path, List<ChatPart> parts, string provider, string providerType)
    {
        if (!item.TryGetProperty("image_url", out var image) || !image.TryGetProperty("url", out var urlElement) || urlElement.ValueKind != JsonValueKind.String)
        {
            return GatewayErrors.InvalidField($"{path}.image_url.url", "expected the image's URL or data: URL");
        }

        if (image.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String && !detail.ValueEquals("auto"))
        {
            // OpenAI's resolution hint has no equivalent; "auto", the default, is the only value that means the same.
            return GatewayErrors.UnsupportedParameter($"{path}.image_url.detail", provider, providerType);
        }

        var url = urlElement.GetString()!;
        if (url.StartsWith("data:", StringComparison.Ordinal))
        {
            var comma = url.IndexOf(',', StringComparison.Ordinal);
            var header = comma > 5 ? url[5..comma] : "";
            if (!header.EndsWith(";base64", StringComparison.Ordinal))
            {
                return GatewayErrors.InvalidField($"{path}.image_url.url", "expected a base64 data: URL (data:image/png;base64,…)");
            }

            var mediaType = header[..^";base64".Length];
            if (!ImageTypes.Contains(mediaType))
            {
                return GatewayErrors.InvalidField($"{path}.image_url.url", $"'{mediaType}' images are not accepted; send {string.Join(", ", ImageTypes)}");
            }

            parts.Add(new ImagePart(mediaType, url[(comma + 1)..], null));
            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return GatewayErrors.InvalidField($"{path}.image_url.url", "expected an http(s) URL or a base64 data: URL");
        }

        parts.Add(new ImagePart(null, null, uri));
        return null;
    }
}
