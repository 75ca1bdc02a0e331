using System.Buffers;
using System.Text.Json;
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
                if (turn.Text.Count == 1)
                {
                    json.WriteString("content", turn.Text[0]);
                }
                else
                {
                    json.WriteStartArray("content");
                    foreach (var text in turn.Text)
                    {
                        json.WriteStartObject();
                        json.WriteString("type", "text");
                        json.WriteString("text", text);
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
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
                json.WriteStartArray("stop_sequences");
                foreach (var stop in request.Stop)
                {
                    json.WriteStringValue(stop);
                }

                json.WriteEndArray();
            }

            if (request.User is { } user)
            {
                json.WriteStartObject("metadata");
                json.WriteString("user_id", user);
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
}
