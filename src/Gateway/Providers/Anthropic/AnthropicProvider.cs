using System.Text;
using System.Text.Json;
using Gateway.Core;
using Gateway.Errors;
using Gateway.Providers.Translation;
using Gateway.Streaming;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Gateway.Providers.Anthropic;

/// <summary>
/// Anthropic's Messages API behind OpenAI's chat completions: the request is translated into
/// /v1/messages, the answer back into a chat.completion, and a stream event by event into OpenAI
/// chunks as each event arrives: text, images, tool calls (streamed arguments included), tool results and
/// JSON schemas (structured outputs).
/// </summary>
internal sealed class AnthropicProvider(
    string name,
    Uri messagesUrl,
    string apiKey,
    string version,
    int defaultMaxTokens,
    IReadOnlyDictionary<string, string> headers,
    HttpMessageInvoker invoker,
    TimeProvider time,
    ILogger logger) : IProvider
{
    public const string Type = "anthropic";

    /// <summary>JSON schemas through structured outputs; no plain JSON mode, no seed, no penalties.</summary>
    public const ChatFeatures Features = ChatFeatures.JsonSchema;
    private readonly TranslatedExchange _exchange = new(name, Type, apiKey, invoker, logger);

    public async Task<AttemptResult> SendAsync(ProviderCall call)
    {
        var context = call.HttpContext;
        if (call.Kind != EndpointKind.Chat)
        {
            return AttemptResult.Refused(GatewayErrors.UnsupportedParameter(InferencePaths.Prefix + EndpointKinds.Operation(call.Kind), name, Type));
        }

        if (OpenAiChatReader.TryRead(call.Body.Memory, new ChatTarget(name, Type, Features, call.Endpoint.DropUnsupportedParams), out var request) is { } invalid)
        {
            return AttemptResult.Refused(invalid);
        }

        using var upstream = new HttpRequestMessage(HttpMethod.Post, messagesUrl)
        {
            Content = new ReadOnlyMemoryContent(AnthropicRequestWriter.Write(request!, call.Target.Model, call.Endpoint.DefaultMaxTokens ?? defaultMaxTokens)),
        };
        upstream.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        upstream.Headers.TryAddWithoutValidation("x-api-key", apiKey);
        upstream.Headers.TryAddWithoutValidation("anthropic-version", version);
        foreach (var (header, value) in headers)
        {
            upstream.Headers.TryAddWithoutValidation(header, value);
        }

        var writer = new OpenAiChatWriter(context.Response, call.Relay, "chatcmpl-" + Guid.NewGuid().ToString("N")[..24], call.Target.Model, time.GetUtcNow().ToUnixTimeSeconds());
        return await _exchange.RunAsync(call, upstream, writer, ReadError, async (body, cancellationToken) =>
        {
            if (request!.Stream)
            {
                return await RelayStreamAsync(body, writer, name, request.IncludeUsage || call.Request.UsageForTrace, cancellationToken);
            }

            await TranslateMessageAsync(body, writer, cancellationToken);
            return null;
        });
    }

    private static ProviderErrorBody ReadError(JsonElement root, HttpResponseMessage response) =>
        root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
            ? new ProviderErrorBody(error.TryGetProperty("type", out var type) ? type.GetString() : null, error.TryGetProperty("message", out var text) ? text.GetString() : null)
            : new ProviderErrorBody(null, null);

    internal static async Task TranslateMessageAsync(Stream body, OpenAiChatWriter writer, CancellationToken cancellationToken)
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

        var finish = OpenAiChatWriter.FinishReason(message.TryGetProperty("stop_reason", out var reason) ? reason.GetString() : null);
        await writer.WriteCompletionAsync(text.ToString(), toolCalls, finish, ReadUsage(message.GetProperty("usage"), default), cancellationToken);
    }

    /// <summary>Anthropic's named events in, OpenAI chunks out, one for one as they arrive; the error it had to end the stream with, if any.</summary>
    internal static async Task<GatewayError?> RelayStreamAsync(Stream body, OpenAiChatWriter writer, string name, bool includeUsage, CancellationToken aborted)
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
                    await writer.WriteRoleAsync(includeUsage, aborted);
                    break;
                case "content_block_start" when root.GetProperty("content_block") is var block && block.GetProperty("type").ValueEquals("tool_use"):
                    var toolIndex = toolIndexes.Count;
                    toolIndexes[root.GetProperty("index").GetInt32()] = toolIndex;
                    await writer.WriteToolCallStartAsync(toolIndex, block.GetProperty("id").GetString()!, block.GetProperty("name").GetString()!, includeUsage, aborted);
                    break;
                case "content_block_delta" when root.GetProperty("delta") is var delta && delta.GetProperty("type").ValueEquals("text_delta"):
                    await writer.WriteContentAsync(delta.GetProperty("text").GetString()!, includeUsage, aborted);
                    break;
                case "content_block_delta" when root.GetProperty("delta") is var jsonDelta && jsonDelta.GetProperty("type").ValueEquals("input_json_delta"):
                    // Anthropic opens each tool's input with an empty fragment; an empty chunk would tell the client nothing.
                    if (jsonDelta.GetProperty("partial_json").GetString() is { Length: > 0 } fragment)
                    {
                        await writer.WriteToolCallArgumentsAsync(toolIndexes[root.GetProperty("index").GetInt32()], fragment, includeUsage, aborted);
                    }

                    break;
                case "message_delta":
                    stopReason = root.GetProperty("delta").TryGetProperty("stop_reason", out var reason) ? reason.GetString() : null;
                    usage = ReadUsage(root.GetProperty("usage"), usage);
                    break;
                case "message_stop":
                    await writer.WriteFinishAsync(OpenAiChatWriter.FinishReason(stopReason), includeUsage, aborted);
                    if (includeUsage)
                    {
                        await writer.WriteUsageAsync(usage, aborted);
                    }

                    await writer.WriteDoneAsync(aborted);
                    return null;
                case "error":
                    var error = root.GetProperty("error");
                    var providerError = GatewayErrors.ProviderError(name, Type, 500, error.GetProperty("type").GetString(), error.GetProperty("message").GetString() ?? "");
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
