using System.Buffers;
using System.Text.Json;
using Gateway.Core.Chat;
using Gateway.Errors;
using Gateway.Providers.Translation;

namespace Gateway.Providers.Anthropic;

/// <summary>Writes a <see cref="ChatRequest"/> as an Anthropic Messages API request body.</summary>
internal static class AnthropicRequestWriter
{
    public static ReadOnlyMemory<byte> Write(ChatRequest request, string model, int defaultMaxTokens)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, GatewayJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            // Required by Anthropic; OpenAI callers often leave it out.
            json.WriteNumber("max_tokens", request.MaxTokens ?? defaultMaxTokens);
            if (request.System.Count > 0)
            {
                json.WriteString("system", string.Join("\n\n", request.System));
            }

            json.WriteStartArray("messages");
            foreach (var turn in request.Turns)
            {
                json.WriteStartObject();
                json.WriteString("role", turn.Role == ChatRole.User ? "user" : "assistant");
                if (turn.Parts is [TextPart only])
                {
                    json.WriteString("content", only.Text);
                }
                else
                {
                    json.WriteStartArray("content");
                    foreach (var part in turn.Parts)
                    {
                        WriteBlock(json, part);
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteTools(json, request);
            if (request.Temperature is { } temperature)
            {
                json.WriteNumber("temperature", temperature);
            }

            if (request.TopP is { } topP)
            {
                json.WriteNumber("top_p", topP);
            }

            if (request.Stop.Count > 0)
            {
                json.WriteStringArray("stop_sequences", request.Stop);
            }

            if (request.User is { } user)
            {
                json.WriteStartObject("metadata");
                json.WriteString("user_id", user);
                json.WriteEndObject();
            }

            if (request.ResponseFormat is { SchemaJson: { } schema })
            {
                // Structured outputs: Claude answers with JSON that matches the schema.
                json.WriteStartObject("output_config");
                json.WriteStartObject("format");
                json.WriteString("type", "json_schema");
                json.WritePropertyName("schema");
                json.WriteRawValue(schema);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            if (request.Stream)
            {
                json.WriteBoolean("stream", true);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    private static void WriteBlock(Utf8JsonWriter json, ChatPart part)
    {
        json.WriteStartObject();
        switch (part)
        {
            case TextPart text:
                json.WriteString("type", "text");
                json.WriteString("text", text.Text);
                break;
            case ToolCallPart call:
                json.WriteString("type", "tool_use");
                json.WriteString("id", call.Id);
                json.WriteString("name", call.Name);
                json.WritePropertyName("input");
                json.WriteRawValue(call.ArgumentsJson);
                break;
            case ImagePart { Url: { } url }:
                json.WriteString("type", "image");
                json.WriteStartObject("source");
                json.WriteString("type", "url");
                json.WriteString("url", url.AbsoluteUri);
                json.WriteEndObject();
                break;
            case ImagePart image:
                json.WriteString("type", "image");
                json.WriteStartObject("source");
                json.WriteString("type", "base64");
                json.WriteString("media_type", image.MediaType);
                json.WriteString("data", image.Base64Data);
                json.WriteEndObject();
                break;
            case ToolResultPart result:
                json.WriteString("type", "tool_result");
                json.WriteString("tool_use_id", result.ToolCallId);
                json.WriteString("content", result.Content);
                break;
        }

        json.WriteEndObject();
    }

    private static void WriteTools(Utf8JsonWriter json, ChatRequest request)
    {
        if (request.Tools.Count > 0)
        {
            json.WriteStartArray("tools");
            foreach (var tool in request.Tools)
            {
                json.WriteStartObject();
                json.WriteString("name", tool.Name);
                if (tool.Description is { } description)
                {
                    json.WriteString("description", description);
                }

                // Anthropic requires a schema; OpenAI lets a function take no parameters.
                json.WritePropertyName("input_schema");
                json.WriteRawValue(tool.ParametersJson ?? """{"type":"object","properties":{}}""");
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        var choice = request.ToolChoice;
        if (choice is null && request.ParallelToolCalls != false)
        {
            return;
        }

        json.WriteStartObject("tool_choice");
        json.WriteString("type", (choice?.Mode ?? ToolChoiceMode.Auto) switch
        {
            ToolChoiceMode.None => "none",
            ToolChoiceMode.Required => "any",
            ToolChoiceMode.Named => "tool",
            _ => "auto",
        });
        if (choice?.Mode == ToolChoiceMode.Named)
        {
            json.WriteString("name", choice.Name);
        }

        if (request.ParallelToolCalls == false && choice?.Mode != ToolChoiceMode.None)
        {
            json.WriteBoolean("disable_parallel_tool_use", true);
        }

        json.WriteEndObject();
    }
}
