using System.Text;
using System.Text.Json;
using Gateway.Core.Chat;
using Gateway.Errors;
using Gateway.Providers.Translation;
using Gateway.Streaming;

namespace Gateway.Providers.Gemini;

/// <summary>Gemini's GenerateContentResponse into the neutral chat answer, whole or as a stream of pieces.</summary>
internal static class GeminiResponseTranslator
{
    public static async Task TranslateAsync(Stream body, IChatAnswerWriter writer, CancellationToken cancellationToken)
    {
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        var root = document.RootElement;
        var text = new StringBuilder();
        var toolCalls = new List<ToolCallPart>();
        string? reason = null;
        if (FirstCandidate(root) is { } candidate)
        {
            foreach (var part in Parts(candidate))
            {
                if (ToolCall(part) is { } call)
                {
                    toolCalls.Add(call);
                }
                else if (VisibleText(part) is { } piece)
                {
                    text.Append(piece);
                }
            }

            reason = candidate.TryGetProperty("finishReason", out var finish) ? finish.GetString() : null;
        }
        else if (root.TryGetProperty("promptFeedback", out var feedback) && feedback.TryGetProperty("blockReason", out _))
        {
            reason = "SAFETY"; // the prompt itself was blocked: no candidates at all
        }

        await writer.WriteCompletionAsync(text.ToString(), toolCalls, Finish(reason, toolCalls.Count > 0), ReadUsage(root), cancellationToken);
    }

    /// <summary>
    /// Each SSE event is a whole GenerateContentResponse holding the next piece: text as it comes, function calls
    /// whole. The last one carries the finish reason and the usage; Gemini sends no end marker, so the connection's
    /// close after a finish reason ends the stream and a close before it is a broken stream.
    /// </summary>
    public static async Task<GatewayError?> RelayStreamAsync(Stream body, IChatAnswerWriter writer, string name, CancellationToken aborted)
    {
        writer.StartStream();
        await writer.WriteRoleAsync(aborted);
        var usage = default(ChatUsage);
        string? reason = null;
        var toolCalls = 0;
        // One SSE parser for the wire: multi-line data fields, CRLF line ends, comments.
        await foreach (var item in SseReading.ReadAsync(body, aborted))
        {
            using var data = JsonDocument.Parse(item.Data);
            var root = data.RootElement;
            if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                var code = error.TryGetProperty("code", out var status) && status.TryGetInt32(out var number) ? number : 500;
                var providerError = GatewayErrors.ProviderError(name, GeminiDialect.ProviderType, code,
                    error.TryGetProperty("status", out var kind) ? kind.GetString()?.ToLowerInvariant() : null,
                    error.TryGetProperty("message", out var message) ? message.GetString() ?? "" : "");
                await writer.WriteErrorAsync(providerError, aborted);
                return providerError;
            }

            if (root.TryGetProperty("usageMetadata", out _))
            {
                usage = ReadUsage(root);
            }

            if (FirstCandidate(root) is not { } candidate)
            {
                if (root.TryGetProperty("promptFeedback", out var feedback) && feedback.TryGetProperty("blockReason", out _))
                {
                    reason = "SAFETY";
                }

                continue;
            }

            foreach (var part in Parts(candidate))
            {
                if (ToolCall(part) is { } call)
                {
                    await writer.WriteToolCallStartAsync(toolCalls, call.Id, call.Name, aborted);
                    await writer.WriteToolCallArgumentsAsync(toolCalls++, call.ArgumentsJson, aborted);
                }
                else if (VisibleText(part) is { Length: > 0 } piece)
                {
                    await writer.WriteContentAsync(piece, aborted);
                }
            }

            if (candidate.TryGetProperty("finishReason", out var finish) && finish.ValueKind == JsonValueKind.String)
            {
                reason = finish.GetString();
            }
        }

        if (reason is null)
        {
            var cut = GatewayErrors.StreamBrokenOff(name, "the connection closed before a finishReason");
            await writer.WriteErrorAsync(cut, aborted);
            return cut;
        }

        await writer.WriteFinishAsync(Finish(reason, toolCalls > 0), aborted);
        await writer.WriteUsageAsync(usage, aborted);

        await writer.WriteDoneAsync(aborted);
        return null;
    }

    /// <summary>Gemini's finish reasons in no API's terms; Gemini says STOP after function calls too.</summary>
    public static ChatFinish Finish(string? reason, bool calledTools) => reason switch
    {
        "MAX_TOKENS" => ChatFinish.Length,
        "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "IMAGE_SAFETY" or "IMAGE_PROHIBITED_CONTENT" => ChatFinish.ContentFilter,
        _ when calledTools => ChatFinish.ToolCalls,
        _ => ChatFinish.Stop,
    };

    /// <summary>Gemini counts thinking apart from the answer; OpenAI counts reasoning inside completion tokens.</summary>
    public static ChatUsage ReadUsage(JsonElement root)
    {
        if (!root.TryGetProperty("usageMetadata", out var usage))
        {
            return default;
        }

        int Read(string field) => usage.TryGetProperty(field, out var value) && value.TryGetInt32(out var number) ? number : 0;
        var thoughts = Read("thoughtsTokenCount");
        return new ChatUsage(Read("promptTokenCount") + Read("toolUsePromptTokenCount"), Read("candidatesTokenCount") + thoughts, Read("cachedContentTokenCount"), thoughts);
    }

    private static JsonElement? FirstCandidate(JsonElement root) =>
        root.TryGetProperty("candidates", out var candidates) && candidates.ValueKind == JsonValueKind.Array && candidates.GetArrayLength() > 0
            ? candidates[0]
            : null;

    private static JsonElement.ArrayEnumerator Parts(JsonElement candidate) =>
        candidate.TryGetProperty("content", out var content) && content.TryGetProperty("parts", out var parts) && parts.ValueKind == JsonValueKind.Array
            ? parts.EnumerateArray()
            : default;

    /// <summary>Text the model meant for the reader: thought summaries (thought: true) are not part of the answer.</summary>
    private static string? VisibleText(JsonElement part) =>
        part.TryGetProperty("text", out var text) && !(part.TryGetProperty("thought", out var thought) && thought.ValueKind == JsonValueKind.True)
            ? text.GetString()
            : null;

    private static ToolCallPart? ToolCall(JsonElement part)
    {
        if (!part.TryGetProperty("functionCall", out var call))
        {
            return null;
        }

        var id = call.TryGetProperty("id", out var given) && given.GetString() is { Length: > 0 } text ? text : GeminiDialect.NewCallId();
        if (part.TryGetProperty("thoughtSignature", out var signature) && signature.GetString() is { Length: > 0 } signed)
        {
            id += GeminiRequestWriter.SignatureSeparator + signed;
        }

        var arguments = call.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Object ? TranslatedExchange.Compact(args) : "{}";
        return new ToolCallPart(id, call.GetProperty("name").GetString()!, arguments);
    }
}
