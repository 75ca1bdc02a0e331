using System.Buffers;
using System.Text.Json;
using Gateway.Core.Chat;
using Gateway.Errors;
using Gateway.Providers.Translation;

namespace Gateway.Providers.Bedrock;

/// <summary>Writes a <see cref="ChatRequest"/> as a Bedrock Converse (or ConverseStream) request body.</summary>
internal static class ConverseRequestWriter
{
    public static GatewayError? TryWrite(ChatRequest request, string provider, out byte[] body)
    {
        body = [];
        var parts = request.Turns.SelectMany(t => t.Parts).ToList();
        if (parts.OfType<ImagePart>().Any(i => i.Url is not null))
        {
            // Converse takes image bytes (or S3 locations), not web URLs; fetching them here would make the gateway a proxy for any URL.
            return GatewayErrors.UnsupportedParameter("image_url.url (http URLs; send the image as a base64 data: URL)", provider, BedrockDialect.ProviderType);
        }

        var toolBlocks = parts.Any(p => p is ToolCallPart or ToolResultPart);
        if (request.ToolChoice?.Mode == ToolChoiceMode.None && toolBlocks)
        {
            // Converse has no "none" choice, and needs its toolConfig whenever the conversation holds tool blocks.
            return GatewayErrors.UnsupportedParameter("tool_choice (none, in a conversation with tool calls)", provider, BedrockDialect.ProviderType);
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, GatewayJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartArray("messages");
            foreach (var turn in request.Turns)
            {
                json.WriteStartObject();
                json.WriteString("role", turn.Role == ChatRole.User ? "user" : "assistant");
                json.WriteStartArray("content");
                foreach (var part in turn.Parts)
                {
                    WriteBlock(json, part);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (request.System.Count > 0)
            {
                json.WriteStartArray("system");
                foreach (var text in request.System)
                {
                    json.WriteStartObject();
                    json.WriteString("text", text);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            WriteInferenceConfig(json, request);
            if (request.Tools.Count > 0 && (request.ToolChoice?.Mode != ToolChoiceMode.None || toolBlocks))
            {
                WriteToolConfig(json, request);
            }

            json.WriteEndObject();
        }

        body = buffer.WrittenSpan.ToArray();
        return null;
    }

    private static void WriteBlock(Utf8JsonWriter json, ChatPart part)
    {
        json.WriteStartObject();
        switch (part)
        {
            case TextPart text:
                json.WriteString("text", text.Text);
                break;
            case ImagePart image:
                json.WriteStartObject("image");
                json.WriteString("format", image.MediaType!["image/".Length..]); // png, jpeg, gif, webp: the reader allows only these
                json.WriteStartObject("source");
                json.WriteString("bytes", image.Base64Data);
                json.WriteEndObject();
                json.WriteEndObject();
                break;
            case ToolCallPart call:
                json.WriteStartObject("toolUse");
                json.WriteString("toolUseId", call.Id);
                json.WriteString("name", call.Name);
                json.WritePropertyName("input");
                json.WriteRawValue(call.ArgumentsJson);
                json.WriteEndObject();
                break;
            case ToolResultPart result:
                json.WriteStartObject("toolResult");
                json.WriteString("toolUseId", result.ToolCallId);
                json.WriteStartArray("content");
                json.WriteStartObject();
                json.WriteString("text", result.Content);
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
                break;
        }

        json.WriteEndObject();
    }

    private static void WriteInferenceConfig(Utf8JsonWriter json, ChatRequest request)
    {
        if (request is { MaxTokens: null, Temperature: null, TopP: null, Stop.Count: 0 })
        {
            return;
        }

        json.WriteStartObject("inferenceConfig");
        if (request.MaxTokens is { } maxTokens)
        {
            json.WriteNumber("maxTokens", maxTokens);
        }

        if (request.Temperature is { } temperature)
        {
            json.WriteNumber("temperature", temperature);
        }

        if (request.TopP is { } topP)
        {
            json.WriteNumber("topP", topP);
        }

        if (request.Stop.Count > 0)
        {
            json.WriteStringArray("stopSequences", request.Stop);
        }

        json.WriteEndObject();
    }

    private static void WriteToolConfig(Utf8JsonWriter json, ChatRequest request)
    {
        json.WriteStartObject("toolConfig");
        json.WriteStartArray("tools");
        foreach (var tool in request.Tools)
        {
            json.WriteStartObject();
            json.WriteStartObject("toolSpec");
            json.WriteString("name", tool.Name);
            if (tool.Description is { } description)
            {
                json.WriteString("description", description);
            }

            // Converse requires a schema; OpenAI lets a function take no parameters.
            json.WriteStartObject("inputSchema");
            json.WritePropertyName("json");
            json.WriteRawValue(tool.ParametersJson ?? """{"type":"object","properties":{}}""");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        switch (request.ToolChoice?.Mode)
        {
            case ToolChoiceMode.Required:
                json.WriteTag("toolChoice", "any");
                break;
            case ToolChoiceMode.Named:
                json.WriteStartObject("toolChoice");
                json.WriteStartObject("tool");
                json.WriteString("name", request.ToolChoice.Name);
                json.WriteEndObject();
                json.WriteEndObject();
                break;
            case ToolChoiceMode.Auto:
                json.WriteTag("toolChoice", "auto");
                break;
        }

        json.WriteEndObject();
    }
}
