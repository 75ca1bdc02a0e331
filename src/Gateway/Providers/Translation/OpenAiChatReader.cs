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
    // Fields a translated provider may lack, the feature that honours each, and the value that means "not used".
    private static readonly (string Field, ChatFeatures Feature, Func<JsonElement, bool> IsDefault)[] Optional =
    [
        ("functions", ChatFeatures.None, e => e.ValueKind is JsonValueKind.Null),
        ("function_call", ChatFeatures.None, e => e.ValueKind is JsonValueKind.Null),
        ("n", ChatFeatures.None, e => e.ValueKind is JsonValueKind.Null || (e.TryGetInt32(out var n) && n == 1)),
        ("logprobs", ChatFeatures.None, e => e.ValueKind is JsonValueKind.Null or JsonValueKind.False),
        ("top_logprobs", ChatFeatures.None, e => e.ValueKind is JsonValueKind.Null),
        ("logit_bias", ChatFeatures.None, e => e.ValueKind is JsonValueKind.Null || (e.ValueKind == JsonValueKind.Object && !e.EnumerateObject().Any())),
        ("presence_penalty", ChatFeatures.Penalties, e => e.ValueKind is JsonValueKind.Null || (e.TryGetDouble(out var p) && p == 0)),
        ("frequency_penalty", ChatFeatures.Penalties, e => e.ValueKind is JsonValueKind.Null || (e.TryGetDouble(out var p) && p == 0)),
        ("seed", ChatFeatures.Seed, e => e.ValueKind is JsonValueKind.Null),
        ("audio", ChatFeatures.None, e => e.ValueKind is JsonValueKind.Null),
        ("modalities", ChatFeatures.None, e => e.ValueKind is JsonValueKind.Null),
        ("prediction", ChatFeatures.None, e => e.ValueKind is JsonValueKind.Null),
    ];

    /// <summary>Reads the request for <paramref name="target"/>, or says why it can't be sent there.</summary>
    public static GatewayError? TryRead(ReadOnlyMemory<byte> body, ChatTarget target, out ChatRequest? request)
    {
        request = null;
        var provider = target.Provider;
        var providerType = target.ProviderType;
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var dropped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (field, feature, isDefault) in Optional)
        {
            if (!root.TryGetProperty(field, out var value) || isDefault(value) || (feature != ChatFeatures.None && target.Features.HasFlag(feature)))
            {
                continue;
            }

            if (!target.DropUnsupported)
            {
                return GatewayErrors.UnsupportedParameter(field, provider, providerType);
            }

            dropped.Add(field);
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

        if (turns.Count == 0)
        {
            return GatewayErrors.InvalidField("messages", "needs at least one user or assistant message besides system messages");
        }

        if (ReadTools(root, out var tools, out var toolChoice) is { } toolError)
        {
            return toolError;
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
        bool? parallel = root.TryGetProperty("parallel_tool_calls", out var parallelElement) && parallelElement.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? parallelElement.GetBoolean()
            : null;
        ChatResponseFormat? responseFormat = null;
        if (root.TryGetProperty("response_format", out var formatElement) && ReadResponseFormat(formatElement, target, out responseFormat) is { } formatError
            && !(formatError.Code == GatewayErrors.UnsupportedParameterCode && target.DropUnsupported))
        {
            return formatError;
        }

        request = new ChatRequest(system, turns, maxTokens, Double(root, "temperature"), Double(root, "top_p"), stop,
            root.TryGetProperty("user", out var user) && user.ValueKind == JsonValueKind.String ? user.GetString() : null,
            root.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True, includeUsage,
            tools, toolChoice, parallel)
        {
            Seed = dropped.Contains("seed") || !root.TryGetProperty("seed", out var seed) || seed.ValueKind != JsonValueKind.Number || !seed.TryGetInt64(out var seedValue) ? null : seedValue,
            PresencePenalty = dropped.Contains("presence_penalty") ? null : Double(root, "presence_penalty"),
            FrequencyPenalty = dropped.Contains("frequency_penalty") ? null : Double(root, "frequency_penalty"),
            ResponseFormat = responseFormat,
        };
        return null;
    }

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

    private static GatewayError? ReadTools(JsonElement root, out List<ChatTool> tools, out ChatToolChoice? choice)
    {
        tools = [];
        choice = null;
        if (root.TryGetProperty("tools", out var toolsElement) && toolsElement.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var tool in toolsElement.EnumerateArray())
            {
                var path = $"tools[{i++}]";
                if (!tool.TryGetProperty("type", out var type) || !type.ValueEquals("function")
                    || !tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                    || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                {
                    return GatewayErrors.InvalidField(path, "expected {\"type\": \"function\", \"function\": {\"name\": …}}");
                }

                tools.Add(new ChatTool(name.GetString()!,
                    function.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String ? description.GetString() : null,
                    function.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object ? parameters.GetRawText() : null));
            }
        }

        if (!root.TryGetProperty("tool_choice", out var choiceElement) || choiceElement.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (choiceElement.ValueKind == JsonValueKind.String)
        {
            choice = choiceElement.GetString() switch
            {
                "auto" => new ChatToolChoice(ToolChoiceMode.Auto),
                "none" => new ChatToolChoice(ToolChoiceMode.None),
                "required" => new ChatToolChoice(ToolChoiceMode.Required),
                _ => null,
            };
        }
        else if (choiceElement.ValueKind == JsonValueKind.Object && choiceElement.TryGetProperty("function", out var named)
            && named.TryGetProperty("name", out var namedTool) && namedTool.ValueKind == JsonValueKind.String)
        {
            choice = new ChatToolChoice(ToolChoiceMode.Named, namedTool.GetString());
        }

        return choice is null ? GatewayErrors.InvalidField("tool_choice", "expected auto, none, required or {\"type\": \"function\", \"function\": {\"name\": …}}") : null;
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

    private static int? Int(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.TryGetInt32(out var number) ? number : null;

    private static double? Double(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
