using System.Text.Json.Nodes;

namespace FakeProviders.Gemini;

public sealed partial class FakeGeminiServer
{
    private static readonly HashSet<string> RequestFields = ["contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings", "cachedContent", "labels"];
    private static readonly HashSet<string> GenerationFields =
    [
        "temperature", "topP", "topK", "maxOutputTokens", "stopSequences", "candidateCount", "seed", "presencePenalty", "frequencyPenalty",
        "responseMimeType", "responseSchema", "responseJsonSchema", "responseLogprobs", "logprobs", "thinkingConfig", "responseModalities", "mediaResolution",
    ];

    private static readonly HashSet<string> PartFields = ["text", "inlineData", "fileData", "functionCall", "functionResponse", "thought", "thoughtSignature", "executableCode", "codeExecutionResult", "videoMetadata"];

    /// <summary>The checks the service makes before it generates, with its messages; null when acceptable.</summary>
    private string? Validate(JsonObject request)
    {
        if (request.Select(p => p.Key).FirstOrDefault(k => !RequestFields.Contains(k)) is { } unknown)
        {
            return $"Invalid JSON payload received. Unknown name \"{unknown}\": Cannot find field.";
        }

        if (request["generationConfig"] is JsonObject config && config.Select(p => p.Key).FirstOrDefault(k => !GenerationFields.Contains(k)) is { } unknownConfig)
        {
            return $"Invalid JSON payload received. Unknown name \"{unknownConfig}\" at 'generation_config': Cannot find field.";
        }

        if (request["contents"] is not JsonArray { Count: > 0 } contents)
        {
            return "* GenerateContentRequest.contents: contents is not specified\n";
        }

        for (var i = 0; i < contents.Count; i++)
        {
            var role = contents[i]?["role"]?.GetValue<string>();
            if (role is not (null or "user" or "model"))
            {
                return "Please use a valid role: user, model.";
            }

            if (contents[i]?["parts"] is not JsonArray { Count: > 0 } parts)
            {
                return $"* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty.\n";
            }

            for (var p = 0; p < parts.Count; p++)
            {
                if (ValidatePart(parts[p] as JsonObject, $"contents[{i}].parts[{p}]", role) is { } partError)
                {
                    return partError;
                }
            }
        }

        if (request["tools"] is JsonArray tools)
        {
            foreach (var declaration in tools.SelectMany(t => t?["functionDeclarations"] as JsonArray ?? []))
            {
                if (declaration?["name"] is null)
                {
                    return "* GenerateContentRequest.tools[0].function_declarations[0].name: Name cannot be empty.\n";
                }

                if (declaration["parameters"] is not null && declaration["parametersJsonSchema"] is not null)
                {
                    return "* GenerateContentRequest.tools[0].function_declarations[0]: parameters and parameters_json_schema cannot both be set.\n";
                }
            }
        }

        var mode = request["toolConfig"]?["functionCallingConfig"]?["mode"]?.GetValue<string>();
        return mode is null or "AUTO" or "ANY" or "NONE" or "VALIDATED" ? null : $"Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), \"{mode}\"";
    }

    private string? ValidatePart(JsonObject? part, string path, string? role)
    {
        if (part is null || part.Count == 0)
        {
            return $"* GenerateContentRequest.{path}.data: required oneof field 'data' must have one initialized field\n";
        }

        if (part.Select(p => p.Key).FirstOrDefault(k => !PartFields.Contains(k)) is { } unknown)
        {
            return $"Invalid JSON payload received. Unknown name \"{unknown}\" at '{path}': Cannot find field.";
        }

        if (part["inlineData"] is JsonObject inline && (inline["mimeType"] is null || inline["data"] is null))
        {
            return $"* GenerateContentRequest.{path}.inline_data: mime_type and data are required.\n";
        }

        if (part["inlineData"]?["data"] is JsonValue data)
        {
            try
            {
                Convert.FromBase64String(data.GetValue<string>());
            }
            catch (FormatException)
            {
                return $"Invalid value at '{path}.inline_data.data' (TYPE_BYTES), Base64 decoding failed";
            }
        }

        if (part["fileData"] is JsonObject file && file["fileUri"] is null)
        {
            return $"* GenerateContentRequest.{path}.file_data.file_uri: file_uri is required.\n";
        }

        if (part["functionCall"] is JsonObject call)
        {
            if (role != "model")
            {
                return "Please ensure that function call turn comes immediately after a user turn or after a function response turn.";
            }

            if (call["args"] is not (null or JsonObject))
            {
                return $"Invalid JSON payload received. Unknown name \"args\" at '{path}.function_call': Proto field is not repeating, cannot start list.";
            }

            if (SignFunctionCalls && (part["thoughtSignature"]?.GetValue<string>() is not { } signature || !_signatures.ContainsKey(signature)))
            {
                return $"Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call `default_api:{call["name"]}` , position 1. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.";
            }
        }

        if (part["functionResponse"] is JsonObject response)
        {
            if (response["name"] is null)
            {
                return $"* GenerateContentRequest.{path}.function_response.name: Name cannot be empty.\n";
            }

            if (response["response"] is not JsonObject)
            {
                return $"Invalid JSON payload received. Unknown name \"response\" at '{path}.function_response': Proto field is not repeating, cannot start list.";
            }
        }

        return null;
    }
}
