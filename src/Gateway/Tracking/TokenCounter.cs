using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Gateway.Tracking;

/// <summary>
/// Counts tokens with GPT-4o's o200k_base encoding: exact for OpenAI's current models, an estimate for others.
/// Rate limits count a request's prompt with it before the call (exactly up to a budget of text, the rest
/// extrapolated, since counting costs about 30 ms a megabyte), and skips the long strings its caller sent before
/// (<see cref="TokenCountCache"/>); the trace writer counts what a provider did not report, exactly. One pass over
/// the body's bytes, no tree.
/// </summary>
internal sealed class TokenCounter
{
    // OpenAI's chat format adds a few tokens per message and for the reply's priming.
    private const int TokensPerMessage = 3;
    private const int ReplyPriming = 3;

    private readonly Lazy<Tokenizer> _tokenizer = new(() => TiktokenTokenizer.CreateForModel("gpt-4o"));

    // ~16 K long strings (about 1 MB): room for many callers' conversations.
    private readonly TokenCountCache _counted = new(16 * 1024);

    public static TokenCounter Shared { get; } = new();

    /// <summary>Strings counted before, looked up rather than counted again.</summary>
    public TokenCountCache Counted => _counted;

    public int Count(string text) => text.Length == 0 ? 0 : _tokenizer.Value.CountTokens(text);

    /// <summary>
    /// The prompt of a chat (messages: every string in them, such as roles, names, text parts and tool arguments,
    /// plus the chat format's overhead), completions (prompt) or embeddings (input) request; token-id arrays count
    /// one per id. 0 for a body that is not JSON.
    /// </summary>
    /// <param name="exactChars">
    /// How many characters of text to count exactly (a string that crosses the line is counted up to it); the rest
    /// is estimated at the ratio of tokens to characters counted so far. Unbounded by default.
    /// </param>
    /// <param name="caller">
    /// Whose prompt it is: long strings this caller sent before (its conversation so far) are not counted again
    /// but taken from <see cref="TokenCountCache"/>, whose entries are the caller's own. Null counts everything.
    /// </param>
    public long CountPrompt(ReadOnlySpan<byte> body, string operation, int exactChars = int.MaxValue, string? caller = null)
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
                    var budget = new Budget(exactChars, caller is null ? null : PartitionOf(caller));
                    return CountValue(ref reader, chat: operation == "chat", ref budget);
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

    private long CountValue(ref Utf8JsonReader reader, bool chat, ref Budget budget)
    {
        long total = chat ? ReplyPriming : 0;
        var depth = reader.CurrentDepth;
        if (reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.StartObject))
        {
            return total + CountScalar(ref reader, ref budget);
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
                    total += CountScalar(ref reader, ref budget);
                    break;
            }
        }

        return total;
    }

    private long CountScalar(ref Utf8JsonReader reader, ref Budget budget)
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
        TokenCountCache.Key? key = budget.Partition is { } partition && !reader.HasValueSequence && length >= TokenCountCache.MinimumBytes
            ? TokenCountCache.KeyOf(reader.ValueSpan, partition)
            : null;
        if (key is { } seen && _counted.TryGet(seen, out var known))
        {
            return known;
        }

        if (budget.Spent && !reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            return budget.Estimate(Encoding.UTF8.GetCharCount(reader.ValueSpan)); // no copy: the length is all it needs
        }

        var buffer = ArrayPool<char>.Shared.Rent(Math.Max(16, length));
        try
        {
            var chars = reader.ValueIsEscaped || reader.HasValueSequence
                ? reader.CopyString(buffer)
                : Encoding.UTF8.GetChars(reader.ValueSpan, buffer);
            if (chars == 0)
            {
                return 0;
            }

            if (budget.Spent)
            {
                return budget.Estimate(chars);
            }

            // A string larger than what is left of the budget: its start is counted, the rest extrapolated.
            var counted = (int)Math.Min(chars, Math.Max(budget.Left, 1));
            var tokens = _tokenizer.Value.CountTokens(buffer.AsSpan(0, counted));
            budget.Add(counted, tokens);
            if (counted < chars)
            {
                return (long)Math.Ceiling(tokens * (double)chars / counted);
            }

            if (key is { } fresh)
            {
                _counted.Add(fresh, tokens); // only exact counts are kept
            }

            return tokens;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private static long PartitionOf(string caller) => (long)XxHash3.HashToUInt64(MemoryMarshal.AsBytes(caller.AsSpan()));

    /// <summary>How much text has been counted exactly, and at what ratio, for estimating the rest.</summary>
    private struct Budget(int exactChars, long? partition)
    {
        private long _chars;
        private long _tokens;

        /// <summary>The caller's partition of the count cache; null when nothing is looked up or kept.</summary>
        public readonly long? Partition => partition;

        public readonly bool Spent => _chars >= exactChars;

        /// <summary>Characters that may still be counted exactly.</summary>
        public readonly long Left => exactChars - _chars;

        public void Add(int chars, int tokens)
        {
            _chars += chars;
            _tokens += tokens;
        }

        /// <summary>A string's tokens, from its characters, at the ratio counted so far (rounded up: a reservation errs high).</summary>
        public readonly long Estimate(int chars) => _chars == 0 ? (chars + 3) / 4 : (long)Math.Ceiling(chars * (double)_tokens / _chars);
    }
}
