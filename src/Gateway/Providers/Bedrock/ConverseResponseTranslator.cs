using System.Text;
using System.Text.Json;
using Amazon.Runtime.EventStreams;
using Gateway.Core.Chat;
using Gateway.Errors;
using Gateway.Providers.Translation;

namespace Gateway.Providers.Bedrock;

/// <summary>Bedrock's Converse answer, and ConverseStream's event stream piece by piece, into the neutral chat answer.</summary>
internal static class ConverseResponseTranslator
{
    public static async Task TranslateAsync(Stream body, IChatAnswerWriter writer, CancellationToken cancellationToken)
    {
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        var root = document.RootElement;
        var text = new StringBuilder();
        var toolCalls = new List<ToolCallPart>();
        foreach (var block in root.GetProperty("output").GetProperty("message").GetProperty("content").EnumerateArray())
        {
            if (block.TryGetProperty("text", out var piece))
            {
                text.Append(piece.GetString());
            }
            else if (block.TryGetProperty("toolUse", out var use))
            {
                toolCalls.Add(new ToolCallPart(use.GetProperty("toolUseId").GetString()!, use.GetProperty("name").GetString()!, TranslatedExchange.Compact(use.GetProperty("input"))));
            }

            // reasoningContent blocks are the model's thinking, not the answer; their tokens are in outputTokens.
        }

        var reason = root.TryGetProperty("stopReason", out var stop) ? stop.GetString() : null;
        await writer.WriteCompletionAsync(text.ToString(), toolCalls, Finish(reason), ReadUsage(root.GetProperty("usage")), cancellationToken);
    }

    /// <summary>
    /// ConverseStream's events in order: messageStart, then per content block contentBlockStart (tool use only),
    /// contentBlockDelta… and contentBlockStop, then messageStop with the stop reason and metadata with the
    /// usage. An exception message ends the stream with the provider's error.
    /// </summary>
    public static async Task<GatewayError?> RelayStreamAsync(Stream body, IChatAnswerWriter writer, string name, CancellationToken aborted)
    {
        var reader = new EventStreamReader(body);
        writer.StartStream();
        string? stopReason = null;
        // Converse numbers content blocks (text and tools together); OpenAI numbers tool calls on their own.
        var toolIndexes = new Dictionary<int, int>();
        while (await reader.ReadAsync(aborted) is { } message)
        {
            var messageType = Header(message, ":message-type");
            if (messageType != "event")
            {
                var exception = StreamException(name, message, messageType);
                await writer.WriteErrorAsync(exception, aborted);
                return exception;
            }

            using var payload = JsonDocument.Parse(message.Payload);
            var root = payload.RootElement;
            switch (Header(message, ":event-type"))
            {
                case "messageStart":
                    await writer.WriteRoleAsync(aborted);
                    break;
                case "contentBlockStart" when root.GetProperty("start").TryGetProperty("toolUse", out var use):
                    var toolIndex = toolIndexes.Count;
                    toolIndexes[root.GetProperty("contentBlockIndex").GetInt32()] = toolIndex;
                    await writer.WriteToolCallStartAsync(toolIndex, use.GetProperty("toolUseId").GetString()!, use.GetProperty("name").GetString()!, aborted);
                    break;
                case "contentBlockDelta" when root.GetProperty("delta") is var delta:
                    if (delta.TryGetProperty("text", out var text) && text.GetString() is { Length: > 0 } piece)
                    {
                        await writer.WriteContentAsync(piece, aborted);
                    }
                    else if (delta.TryGetProperty("toolUse", out var input) && input.GetProperty("input").GetString() is { Length: > 0 } fragment)
                    {
                        await writer.WriteToolCallArgumentsAsync(toolIndexes[root.GetProperty("contentBlockIndex").GetInt32()], fragment, aborted);
                    }

                    break;
                case "messageStop":
                    stopReason = root.GetProperty("stopReason").GetString();
                    await writer.WriteFinishAsync(Finish(stopReason), aborted);
                    break;
                case "metadata" when stopReason is not null:
                    await writer.WriteUsageAsync(ReadUsage(root.GetProperty("usage")), aborted);

                    await writer.WriteDoneAsync(aborted);
                    return null;
            }
        }

        if (stopReason is null)
        {
            var cut = GatewayErrors.StreamBrokenOff(name, "the event stream closed before messageStop");
            await writer.WriteErrorAsync(cut, aborted);
            return cut;
        }

        // messageStop came, the usage did not: the answer is whole, its token count unknown.
        await writer.WriteDoneAsync(aborted);
        return null;
    }

    public static ChatFinish Finish(string? reason) => reason switch
    {
        "max_tokens" or "model_context_window_exceeded" => ChatFinish.Length,
        "tool_use" => ChatFinish.ToolCalls,
        "guardrail_intervened" or "content_filtered" => ChatFinish.ContentFilter,
        _ => ChatFinish.Stop,
    };

    /// <summary>Bedrock counts cache reads and writes apart from inputTokens; OpenAI counts them all as prompt tokens.</summary>
    private static ChatUsage ReadUsage(JsonElement usage)
    {
        int Read(string field) => usage.TryGetProperty(field, out var value) && value.TryGetInt32(out var number) ? number : 0;
        var cached = Read("cacheReadInputTokens");
        return new ChatUsage(Read("inputTokens") + cached + Read("cacheWriteInputTokens"), Read("outputTokens"), cached);
    }

    /// <summary>An exception in the stream (throttling, a model error…) as the client's error, with the status Bedrock gives it over HTTP.</summary>
    private static GatewayError StreamException(string name, EventStreamMessage message, string? messageType)
    {
        var type = Header(message, ":exception-type") ?? Header(message, ":error-code") ?? "unknownException";
        string? text = Header(message, ":error-message");
        if (text is null && message.Payload is { Length: > 0 } payload)
        {
            try
            {
                using var document = JsonDocument.Parse(payload);
                text = document.RootElement.TryGetProperty("message", out var m) || document.RootElement.TryGetProperty("Message", out m) ? m.GetString() : null;
            }
            catch (JsonException)
            {
                text = Encoding.UTF8.GetString(payload);
            }
        }

        var status = type switch
        {
            "throttlingException" => 429,
            "validationException" => 400,
            "modelStreamErrorException" => 424,
            "modelTimeoutException" => 408,
            "serviceUnavailableException" => 503,
            _ => 500,
        };
        return GatewayErrors.ProviderError(name, BedrockDialect.ProviderType, status, BedrockDialect.ErrorCode(type), text ?? $"{messageType} {type}");
    }

    private static string? Header(EventStreamMessage message, string name) =>
        message.Headers.TryGetValue(name, out var header) ? header.AsString() : null;
}
