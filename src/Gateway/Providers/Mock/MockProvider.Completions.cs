using System.Text.Json;
using Gateway.Errors;
using Gateway.Streaming;
using Microsoft.AspNetCore.Http;

namespace Gateway.Providers.Mock;

internal sealed partial class MockProvider
{
    private async Task<GatewayError?> CompletionsAsync(HttpContext context, StreamRelay relay, JsonElement request, string model, bool stream, bool includeUsage)
    {
        var promptElement = request.GetProperty("prompt");
        var prompt = promptElement.ValueKind switch
        {
            JsonValueKind.String => promptElement.GetString()!,
            JsonValueKind.Array when promptElement.GetArrayLength() > 0 && promptElement[0].ValueKind == JsonValueKind.String => promptElement[0].GetString()!,
            JsonValueKind.Array => "",
            _ => null,
        };
        if (prompt is null)
        {
            return GatewayErrors.InvalidField("prompt", "expected a string or an array of strings");
        }

        var promptTokens = MockText.Tokens(prompt);
        var (words, truncated) = MockText.Limit(MockText.Words(MockText.Reply(model, prompt)), MaxTokens(request) ?? 16);
        var finishReason = truncated ? "length" : "stop";
        var id = MockText.Id("cmpl-mock-", prompt);
        var created = Now;

        if (!stream)
        {
            await WriteJsonAsync(context, writer =>
            {
                writer.WriteStartObject();
                WriteObjectHeader(writer, id, "text_completion", created, model);
                writer.WriteStartArray("choices");
                WriteCompletionChoice(writer, string.Concat(words), finishReason);
                writer.WriteEndArray();
                WriteUsage(writer, promptTokens, words.Count);
                writer.WriteEndObject();
            });
            return null;
        }

        StartEventStream(context);
        for (var i = 0; i < words.Count; i++)
        {
            var last = i == words.Count - 1;
            var word = words[i];
            await WriteEventAsync(context, relay, w =>
            {
                w.WriteStartObject();
                WriteObjectHeader(w, id, "text_completion", created, model);
                w.WriteStartArray("choices");
                WriteCompletionChoice(w, word, last ? finishReason : null);
                w.WriteEndArray();
                if (includeUsage)
                {
                    w.WriteNull("usage");
                }

                w.WriteEndObject();
            });
        }

        if (includeUsage)
        {
            await WriteEventAsync(context, relay, w =>
            {
                w.WriteStartObject();
                WriteObjectHeader(w, id, "text_completion", created, model);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                WriteUsage(w, promptTokens, words.Count);
                w.WriteEndObject();
            });
        }

        await WriteDoneAsync(context, relay);
        return null;
    }

    private static void WriteCompletionChoice(Utf8JsonWriter writer, string text, string? finishReason)
    {
        writer.WriteStartObject();
        writer.WriteString("text", text);
        writer.WriteNumber("index", 0);
        writer.WriteNull("logprobs");
        writer.WriteString("finish_reason", finishReason); // a null reason is written as JSON null

        writer.WriteEndObject();
    }

    private static void WriteObjectHeader(Utf8JsonWriter writer, string id, string type, long created, string model)
    {
        writer.WriteString("id", id);
        writer.WriteString("object", type);
        writer.WriteNumber("created", created);
        writer.WriteString("model", model);
    }
}
