using System.Text.Json;
using Gateway.Core.Chat;
using Gateway.Errors;

namespace Gateway.Inbound.OpenAi;

/// <summary>
/// Reads an OpenAI chat completion request into a <see cref="ChatRequest"/> for a translating provider.
/// The body was already validated as JSON by the request reader; this pass checks meaning. A parameter the
/// provider cannot honour is a 400 naming it, unless its value is OpenAI's default (a no-op either way).
/// </summary>
internal static partial class OpenAiChatReader
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
        if (ReadMessages(root, target, system, turns) is { } messageError)
        {
            return messageError;
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

    private static int? Int(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.TryGetInt32(out var number) ? number : null;

    private static double? Double(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
