using System.Buffers;
using System.Text.Json;
using Gateway.Errors;
using Microsoft.AspNetCore.Http;

namespace Gateway.Providers.Mock;

internal sealed partial class MockProvider
{
    private async Task<GatewayError?> ChatAsync(HttpContext context, JsonElement request, string model, bool stream, bool includeUsage)
    {
        var messages = request.GetProperty("messages");
        var lastUser = "";
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            {
                return GatewayErrors.InvalidField("messages", "each message needs a string 'role'");
            }

            if (role.ValueEquals("user"u8))
            {
                lastUser = MockText.ContentText(message);
            }
        }

        var promptTokens = MockText.ChatPromptTokens(messages);
        var (words, truncated) = MockText.Limit(MockText.Words(MockText.Reply(model, lastUser)), MaxTokens(request));
        var finishReason = truncated ? "length" : "stop";
        var id = MockText.Id("chatcmpl-mock-", lastUser);
        var created = Now;

        if (!stream)
        {
            await WriteJsonAsync(context, writer =>
            {
                writer.WriteStartObject();
                WriteChatHeader(writer, id, "chat.completion", created, model);
                writer.WriteStartArray("choices");
                writer.WriteStartObject();
                writer.WriteNumber("index", 0);
                writer.WriteStartObject("message");
                writer.WriteString("role", "assistant");
                writer.WriteString("content", string.Concat(words));
                writer.WriteNull("refusal");
                writer.WriteEndObject();
                writer.WriteNull("logprobs");
                writer.WriteString("finish_reason", finishReason);
                writer.WriteEndObject();
                writer.WriteEndArray();
                WriteUsage(writer, promptTokens, words.Count);
                writer.WriteString("system_fingerprint", "fp_gateway_mock");
                writer.WriteEndObject();
            });
            return null;
        }

        StartEventStream(context);
        var buffer = new ArrayBufferWriter<byte>(512);
        await WriteEventAsync(context, buffer, w => WriteChatChunk(w, id, created, model, "assistant", "", null, includeUsage));
        foreach (var word in words)
        {
            await WriteEventAsync(context, buffer, w => WriteChatChunk(w, id, created, model, null, word, null, includeUsage));
        }

        await WriteEventAsync(context, buffer, w => WriteChatChunk(w, id, created, model, null, null, finishReason, includeUsage));
        if (includeUsage)
        {
            await WriteEventAsync(context, buffer, w =>
            {
                w.WriteStartObject();
                WriteChatHeader(w, id, "chat.completion.chunk", created, model);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                WriteUsage(w, promptTokens, words.Count);
                w.WriteEndObject();
            });
        }

        await WriteDoneAsync(context);
        return null;
    }

    private static void WriteChatHeader(Utf8JsonWriter writer, string id, string type, long created, string model)
    {
        writer.WriteString("id", id);
        writer.WriteString("object", type);
        writer.WriteNumber("created", created);
        writer.WriteString("model", model);
    }

    private static void WriteChatChunk(Utf8JsonWriter writer, string id, long created, string model, string? role, string? content, string? finishReason, bool includeUsage)
    {
        writer.WriteStartObject();
        WriteChatHeader(writer, id, "chat.completion.chunk", created, model);
        writer.WriteString("system_fingerprint", "fp_gateway_mock");
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("delta");
        if (role is not null)
        {
            writer.WriteString("role", role);
        }

        if (content is not null)
        {
            writer.WriteString("content", content);
        }

        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        if (finishReason is null)
        {
            writer.WriteNull("finish_reason");
        }
        else
        {
            writer.WriteString("finish_reason", finishReason);
        }

        writer.WriteEndObject();
        writer.WriteEndArray();
        if (includeUsage)
        {
            // With include_usage, OpenAI sends "usage": null on every chunk before the final usage chunk.
            writer.WriteNull("usage");
        }

        writer.WriteEndObject();
    }
}
