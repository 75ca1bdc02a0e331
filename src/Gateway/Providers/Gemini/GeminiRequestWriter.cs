using System.Buffers;
using System.Text.Json;
using Gateway.Core.Chat;
using Gateway.Errors;
using Gateway.Providers.Translation;

namespace Gateway.Providers.Gemini;

/// <summary>Writes a <see cref="ChatRequest"/> as a Gemini generateContent request body.</summary>
internal static class GeminiRequestWriter
{
    /// <summary>
    /// Gemini 3 returns a thought signature with a function call and refuses the next turn unless it comes back
    /// with that call. OpenAI clients return only the call's id, so the signature travels inside it.
    /// </summary>
    public const string SignatureSeparator = "__thought__";

    public static GatewayError? TryWrite(ChatRequest request, out ReadOnlyMemory<byte> body)
    {
        body = default;
        // Gemini answers a function call by the function's name; OpenAI by the call's id.
        var callNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var call in request.Turns.SelectMany(t => t.Parts).OfType<ToolCallPart>())
        {
            callNames[call.Id] = call.Name;
        }

        if (request.Turns.SelectMany(t => t.Parts).OfType<ToolResultPart>().FirstOrDefault(r => !callNames.ContainsKey(r.ToolCallId)) is { } orphan)
        {
            return GatewayErrors.InvalidField("messages", $"the tool message for tool_call_id '{orphan.ToolCallId}' answers no tool call of an earlier assistant message; Gemini needs the function's name from that call");
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, GatewayJson.WriterOptions))
        {
            json.WriteStartObject();
            if (request.System.Count > 0)
            {
                json.WriteStartObject("systemInstruction");
                json.WriteStartArray("parts");
                foreach (var text in request.System)
                {
                    json.WriteStartObject();
                    json.WriteString("text", text);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteStartArray("contents");
            foreach (var turn in request.Turns)
            {
                json.WriteStartObject();
                json.WriteString("role", turn.Role == ChatRole.User ? "user" : "model");
                json.WriteStartArray("parts");
                foreach (var part in turn.Parts)
                {
                    WritePart(json, part, callNames);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteTools(json, request);
            WriteGenerationConfig(json, request);
            json.WriteEndObject();
        }

        body = buffer.WrittenMemory;
        return null;
    }

    private static void WritePart(Utf8JsonWriter json, ChatPart part, Dictionary<string, string> callNames)
    {
        json.WriteStartObject();
        switch (part)
        {
            case TextPart text:
                json.WriteString("text", text.Text);
                break;
            case ImagePart { Url: { } url }:
                json.WriteStartObject("fileData");
                if (MediaTypeOf(url) is { } mediaType)
                {
                    json.WriteString("mimeType", mediaType);
                }

                json.WriteString("fileUri", url.AbsoluteUri);
                json.WriteEndObject();
                break;
            case ImagePart image:
                json.WriteStartObject("inlineData");
                json.WriteString("mimeType", image.MediaType);
                json.WriteString("data", image.Base64Data);
                json.WriteEndObject();
                break;
            case ToolCallPart call:
                var (id, signature) = SplitId(call.Id);
                json.WriteStartObject("functionCall");
                json.WriteString("id", id);
                json.WriteString("name", call.Name);
                json.WritePropertyName("args");
                json.WriteRawValue(call.ArgumentsJson);
                json.WriteEndObject();
                if (signature is not null)
                {
                    json.WriteString("thoughtSignature", signature);
                }

                break;
            case ToolResultPart result:
                json.WriteStartObject("functionResponse");
                json.WriteString("id", SplitId(result.ToolCallId).Id);
                json.WriteString("name", callNames[result.ToolCallId]);
                json.WritePropertyName("response");
                WriteToolResponse(json, result.Content);
                json.WriteEndObject();
                break;
        }

        json.WriteEndObject();
    }

    /// <summary>Gemini takes a function's response as a JSON object: a result that is one goes as it is, anything else under "result".</summary>
    private static void WriteToolResponse(Utf8JsonWriter json, string content)
    {
        try
        {
            using var document = JsonDocument.Parse(content);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                document.RootElement.WriteTo(json);
                return;
            }
        }
        catch (JsonException)
        {
            // Plain text: wrapped below.
        }

        json.WriteStartObject();
        json.WriteString("result", content);
        json.WriteEndObject();
    }

    public static (string Id, string? Signature) SplitId(string id)
    {
        var at = id.IndexOf(SignatureSeparator, StringComparison.Ordinal);
        return at < 0 ? (id, null) : (id[..at], id[(at + SignatureSeparator.Length)..]);
    }

    private static string? MediaTypeOf(Uri url) => Path.GetExtension(url.AbsolutePath).ToUpperInvariant() switch
    {
        ".JPG" or ".JPEG" => "image/jpeg",
        ".PNG" => "image/png",
        ".GIF" => "image/gif",
        ".WEBP" => "image/webp",
        ".HEIC" => "image/heic",
        _ => null,
    };

    private static void WriteTools(Utf8JsonWriter json, ChatRequest request)
    {
        if (request.Tools.Count > 0)
        {
            json.WriteStartArray("tools");
            json.WriteStartObject();
            json.WriteStartArray("functionDeclarations");
            foreach (var tool in request.Tools)
            {
                json.WriteStartObject();
                json.WriteString("name", tool.Name);
                if (tool.Description is { } description)
                {
                    json.WriteString("description", description);
                }

                if (tool.ParametersJson is { } parameters)
                {
                    // parametersJsonSchema takes JSON Schema as OpenAI callers write it; "parameters" takes only an OpenAPI subset.
                    json.WritePropertyName("parametersJsonSchema");
                    json.WriteRawValue(parameters);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
        }

        if (request.ToolChoice is not { } choice)
        {
            return;
        }

        json.WriteStartObject("toolConfig");
        json.WriteStartObject("functionCallingConfig");
        json.WriteString("mode", choice.Mode switch
        {
            ToolChoiceMode.None => "NONE",
            ToolChoiceMode.Required or ToolChoiceMode.Named => "ANY",
            _ => "AUTO",
        });
        if (choice.Mode == ToolChoiceMode.Named)
        {
            json.WriteStringArray("allowedFunctionNames", [choice.Name!]);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteGenerationConfig(Utf8JsonWriter json, ChatRequest request)
    {
        if (request is { Temperature: null, TopP: null, MaxTokens: null, Stop.Count: 0, Seed: null, PresencePenalty: null, FrequencyPenalty: null, ResponseFormat: null })
        {
            return;
        }

        json.WriteStartObject("generationConfig");
        if (request.Temperature is { } temperature)
        {
            json.WriteNumber("temperature", temperature);
        }

        if (request.TopP is { } topP)
        {
            json.WriteNumber("topP", topP);
        }

        if (request.MaxTokens is { } maxTokens)
        {
            json.WriteNumber("maxOutputTokens", maxTokens);
        }

        if (request.Stop.Count > 0)
        {
            json.WriteStringArray("stopSequences", request.Stop);
        }

        if (request.Seed is { } seed)
        {
            json.WriteNumber("seed", seed);
        }

        if (request.PresencePenalty is { } presence)
        {
            json.WriteNumber("presencePenalty", presence);
        }

        if (request.FrequencyPenalty is { } frequency)
        {
            json.WriteNumber("frequencyPenalty", frequency);
        }

        if (request.ResponseFormat is { } format)
        {
            json.WriteString("responseMimeType", "application/json");
            if (format.SchemaJson is { } schema)
            {
                json.WritePropertyName("responseJsonSchema");
                json.WriteRawValue(schema);
            }
        }

        json.WriteEndObject();
    }
}
