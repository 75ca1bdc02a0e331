using System.Text.Json;

namespace Gateway.Tracking;

/// <summary>Token counts in OpenAI's terms: cached tokens are part of the prompt tokens, reasoning tokens part of the completion tokens.</summary>
internal readonly record struct UsageCounts(long PromptTokens, long CompletionTokens, long CachedTokens, long ReasoningTokens)
{
    /// <summary>Reads OpenAI's usage object (chat, completions or embeddings), starting at its opening brace.</summary>
    public static UsageCounts? Read(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, isFinalBlock: false, default);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            long prompt = 0, completion = 0, cached = 0, reasoning = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("prompt_tokens"u8) || reader.ValueTextEquals("input_tokens"u8))
                {
                    prompt = ReadCount(ref reader);
                }
                else if (reader.ValueTextEquals("completion_tokens"u8) || reader.ValueTextEquals("output_tokens"u8))
                {
                    completion = ReadCount(ref reader);
                }
                else if (reader.ValueTextEquals("prompt_tokens_details"u8))
                {
                    cached = ReadDetail(ref reader, "cached_tokens"u8);
                }
                else if (reader.ValueTextEquals("completion_tokens_details"u8))
                {
                    reasoning = ReadDetail(ref reader, "reasoning_tokens"u8);
                }
                else
                {
                    reader.Read();
                    if (!reader.TrySkip())
                    {
                        return null;
                    }
                }
            }

            return new UsageCounts(prompt, completion, cached, reasoning);
        }
        catch (JsonException)
        {
            return null; // a cut-off or odd usage object: the writer estimates instead
        }
    }

    private static long ReadCount(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value > 0 ? value : 0;
    }

    private static long ReadDetail(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.TrySkip();
            return 0;
        }

        long value = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name))
            {
                value = ReadCount(ref reader);
            }
            else
            {
                reader.Read();
                reader.TrySkip();
            }
        }

        return value;
    }
}
