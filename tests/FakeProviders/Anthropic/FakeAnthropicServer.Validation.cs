using System.Text.Json;
using System.Text.Json.Nodes;

namespace FakeProviders.Anthropic;

public sealed partial class FakeAnthropicServer
{
    /// <summary>The request checks the service makes, with its messages; null when the request is acceptable.</summary>
    private (int Status, string Body)? Validate(string body)
    {
        JsonObject? request;
        try
        {
            request = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request is null)
        {
            return (400, AnthropicErrors.Body("invalid_request_error", "There was an issue with the format or content of your request. The request body is not valid JSON."));
        }

        foreach (var field in (string[])["model", "max_tokens", "messages"])
        {
            if (request[field] is null)
            {
                return (400, AnthropicErrors.Body("invalid_request_error", $"{field}: Field required"));
            }
        }

        if (request["max_tokens"] is not JsonValue maxTokens || !maxTokens.TryGetValue<int>(out var max) || max < 1)
        {
            return (400, AnthropicErrors.Body("invalid_request_error", "max_tokens: Input should be greater than or equal to 1"));
        }

        if (request["messages"] is not JsonArray { Count: > 0 } messages)
        {
            return (400, AnthropicErrors.Body("invalid_request_error", "messages: List should have at least 1 item after validation, not 0"));
        }

        for (var i = 0; i < messages.Count; i++)
        {
            var role = messages[i]?["role"]?.GetValue<string>();
            if (role is not ("user" or "assistant"))
            {
                // System prompts go in the top-level "system" field; the messages list takes only these two roles.
                return (400, AnthropicErrors.Body("invalid_request_error", $"messages.{i}.role: Input should be 'user' or 'assistant'"));
            }

            if (messages[i]?["content"] is null)
            {
                return (400, AnthropicErrors.Body("invalid_request_error", $"messages.{i}.content: Field required"));
            }

            if (messages[i]!["content"] is JsonArray blocks && ValidateImages(blocks, i) is { } imageError)
            {
                return (400, AnthropicErrors.Body("invalid_request_error", imageError));
            }
        }

        if (request["output_config"]?["format"] is { } format
            && (format["type"]?.GetValue<string>() != "json_schema" || format["schema"] is not JsonObject))
        {
            return (400, AnthropicErrors.Body("invalid_request_error", "output_config.format: Input tag found using 'type' does not match any of the expected tags: 'json_schema', or schema is missing"));
        }

        var model = request["model"]!.GetValue<string>();
        return Models.Contains(model) ? null : (404, AnthropicErrors.Body("not_found_error", $"model: {model}"));
    }

    private static readonly string[] ImageMediaTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"];

    /// <summary>Image blocks as the service checks them: a base64 source with a known media type and data, or a url source.</summary>
    private static string? ValidateImages(JsonArray blocks, int message)
    {
        for (var b = 0; b < blocks.Count; b++)
        {
            if (blocks[b]?["type"]?.GetValue<string>() != "image")
            {
                continue;
            }

            var path = $"messages.{message}.content.{b}.image.source";
            var source = blocks[b]!["source"];
            switch (source?["type"]?.GetValue<string>())
            {
                case "base64" when !ImageMediaTypes.Contains(source["media_type"]?.GetValue<string>()):
                    return $"{path}.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'";
                case "base64" when string.IsNullOrEmpty(source["data"]?.GetValue<string>()):
                    return $"{path}.base64.data: Field required";
                case "base64":
                    break;
                case "url" when source["url"] is null:
                    return $"{path}.url.url: Field required";
                case "url":
                    break;
                default:
                    return $"{path}: Input tag '{source?["type"]}' found using 'type' does not match any of the expected tags: 'base64', 'url'";
            }
        }

        return null;
    }
}
