using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Gateway.Tracking;

/// <summary>
/// Counts tokens with GPT-4o's o200k_base encoding: exact for OpenAI's current models, an estimate for others.
/// Rate limits count a request's prompt with it before the call; the trace writer counts what a provider did not
/// report. One pass over the body's bytes, no tree.
/// </summary>
internal sealed class TokenCounter
{
    // OpenAI's chat format adds a few tokens per message and for the reply's priming.
    private const int TokensPerMessage = 3;
    private const int ReplyPriming = 3;

    private readonly Lazy<Tokenizer> _tokenizer = new(() => TiktokenTokenizer.CreateForModel("gpt-4o"));

    public static TokenCounter Shared { get; } = new();

    public int Count(string text) => text.Length == 0 ? 0 : _tokenizer.Value.CountTokens(text);

    /// <summary>
    /// The prompt of a chat (messages: every string in them, such as roles, names, text parts and tool arguments,
    /// plus the chat format's overhead), completions (prompt) or embeddings (input) request; token-id arrays count
    /// one per id. 0 for a body that is not JSON.
    /// </summary>
    public long CountPrompt(ReadOnlySpan<byte> body, string operation)
    {
        var payload = operation switch { "chat" => "messages"u8, "completions" => "prompt"u8, "embeddings" => "input"u8, _ => default };
        if (payload.IsEmpty)
        {
            return 0;
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return 0;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isPayload = reader.ValueTextEquals(payload);
                reader.Read();
                if (isPayload)
                {
                    return CountValue(ref reader, chat: operation == "chat");
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Bodies reach here checked; a malformed one simply counts as far as it was read.
        }

        return 0;
    }

    private long CountValue(ref Utf8JsonReader reader, bool chat)
    {
        long total = chat ? ReplyPriming : 0;
        var depth = reader.CurrentDepth;
        if (reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.StartObject))
        {
            return total + CountScalar(ref reader);
        }

        while (reader.Read() && reader.CurrentDepth > depth)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName when reader.ValueTextEquals("image_url"u8):
                    reader.Read();
                    reader.Skip();
                    break;
                case JsonTokenType.StartObject when chat && reader.CurrentDepth == depth + 1:
                    total += TokensPerMessage;
                    break;
                case JsonTokenType.String or JsonTokenType.Number:
                    total += CountScalar(ref reader);
                    break;
            }
        }

        return total;
    }

    private int CountScalar(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return 1;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            return 0;
        }

        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        var buffer = ArrayPool<char>.Shared.Rent(Math.Max(16, length));
        try
        {
            var chars = reader.ValueIsEscaped || reader.HasValueSequence
                ? reader.CopyString(buffer)
                : Encoding.UTF8.GetChars(reader.ValueSpan, buffer);
            return chars == 0 ? 0 : _tokenizer.Value.CountTokens(buffer.AsSpan(0, chars));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }
}
