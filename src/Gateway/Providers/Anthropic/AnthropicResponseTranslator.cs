using System.Text;
using System.Text.Json;
using Gateway.Core.Chat;
using Gateway.Errors;
using Gateway.Providers.Translation;
using Gateway.Streaming;

namespace Gateway.Providers.Anthropic;

/// <summary>
/// Anthropic's answers back into the neutral chat answer: the whole message (text and tool calls), or its named
/// stream events one for one as they arrive.
/// </summary>
internal static class AnthropicResponseTranslator
{
    /// <summary>Anthropic's stop reasons in no API's terms.</summary>
    public static ChatFinish Finish(string? stopReason) => stopReason switch
    {
        "max_tokens" or "model_context_window_exceeded" => ChatFinish.Length,
        "tool_use" => ChatFinish.ToolCalls,
        "refusal" => ChatFinish.ContentFilter,
        _ => ChatFinish.Stop,
    };

    public static async Task TranslateMessageAsync(Stream body, IChatAnswerWriter writer, CancellationToken cancellationToken)
    {
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        var message = document.RootElement;
        var text = new StringBuilder();
        var toolCalls = new List<ToolCallPart>();
        foreach (var block in message.GetProperty("content").EnumerateArray())
        {
            var type = block.GetProperty("type");
            if (type.ValueEquals("text"))
            {
                text.Append(block.GetProperty("text").GetString());
            }
            else if (type.ValueEquals("tool_use"))
            {
                toolCalls.Add(new ToolCallPart(block.GetProperty("id").GetString()!, block.GetProperty("name").GetString()!, TranslatedExchange.Compact(block.GetProperty("input"))));
            }
        }

        var finish = Finish(message.TryGetProperty("stop_reason", out var reason) ? reason.GetString() : null);
        await writer.WriteCompletionAsync(text.ToString(), toolCalls, finish, ReadUsage(message.GetProperty("usage"), default), cancellationToken);
    }

    /// <summary>Anthropic's named events in, answer pieces out, one for one as they arrive; the error it had to end the stream with, if any.</summary>
    public static async Task<GatewayError?> RelayStreamAsync(Stream body, IChatAnswerWriter writer, string name, CancellationToken aborted)
    {
        writer.StartStream();
        var usage = default(ChatUsage);
        string? stopReason = null;
        // Anthropic numbers content blocks (text and tools together); OpenAI numbers tool calls on their own.
        var toolIndexes = new Dictionary<int, int>();
        // One SSE parser for the wire (multi-line data, CRLF, comments); "event:" names repeat the data's own "type".
        await foreach (var item in SseReading.ReadAsync(body, aborted))
        {
            using var data = JsonDocument.Parse(item.Data);
            var root = data.RootElement;
            switch (root.GetProperty("type").GetString())
            {
                case "message_start":
                    usage = ReadUsage(root.GetProperty("message").GetProperty("usage"), usage);
                    await writer.WriteRoleAsync(aborted);
                    break;
                case "content_block_start" when root.GetProperty("content_block") is var block && block.GetProperty("type").ValueEquals("tool_use"):
                    var toolIndex = toolIndexes.Count;
                    toolIndexes[root.GetProperty("index").GetInt32()] = toolIndex;
                    await writer.WriteToolCallStartAsync(toolIndex, block.GetProperty("id").GetString()!, block.GetProperty("name").GetString()!, aborted);
                    break;
                case "content_block_delta" when root.GetProperty("delta") is var delta && delta.GetProperty("type").ValueEquals("text_delta"):
                    await writer.WriteContentAsync(delta.GetProperty("text").GetString()!, aborted);
                    break;
                case "content_block_delta" when root.GetProperty("delta") is var jsonDelta && jsonDelta.GetProperty("type").ValueEquals("input_json_delta"):
                    // Anthropic opens each tool's input with an empty fragment; an empty chunk would tell the client nothing.
                    if (jsonDelta.GetProperty("partial_json").GetString() is { Length: > 0 } fragment)
                    {
                        await writer.WriteToolCallArgumentsAsync(toolIndexes[root.GetProperty("index").GetInt32()], fragment, aborted);
                    }

                    break;
                case "message_delta":
                    stopReason = root.GetProperty("delta").TryGetProperty("stop_reason", out var reason) ? reason.GetString() : null;
                    usage = ReadUsage(root.GetProperty("usage"), usage);
                    break;
                case "message_stop":
                    await writer.WriteFinishAsync(Finish(stopReason), aborted);
                    await writer.WriteUsageAsync(usage, aborted);

                    await writer.WriteDoneAsync(aborted);
                    return null;
                case "error":
                    var error = root.GetProperty("error");
                    var providerError = GatewayErrors.ProviderError(name, AnthropicDialect.ProviderType, 500, error.GetProperty("type").GetString(), error.GetProperty("message").GetString() ?? "");
                    await writer.WriteErrorAsync(providerError, aborted);
                    return providerError;
            }
        }

        var cut = GatewayErrors.StreamBrokenOff(name, "the connection closed before message_stop");
        await writer.WriteErrorAsync(cut, aborted);
        return cut;
    }

    /// <summary>Anthropic reports input tokens at the start and output tokens at the end; later figures win.</summary>
    private static ChatUsage ReadUsage(JsonElement usage, ChatUsage previous)
    {
        int Read(string field) => usage.TryGetProperty(field, out var value) && value.TryGetInt32(out var number) ? number : 0;
        var cached = Read("cache_read_input_tokens");
        var prompt = Read("input_tokens") + Read("cache_creation_input_tokens") + cached;
        var output = Read("output_tokens");
        return new ChatUsage(prompt > 0 ? prompt : previous.PromptTokens, output > 0 ? output : previous.CompletionTokens, prompt > 0 ? cached : previous.CachedTokens);
    }
}
