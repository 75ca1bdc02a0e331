using System.IO.Hashing;
using System.Runtime.InteropServices;
using Gateway.Core;
using Microsoft.ML.Tokenizers;

namespace Gateway.Tracking;

/// <summary>
/// Counts tokens with GPT-4o's o200k_base encoding: exact for OpenAI's current models, an estimate for others.
/// Rate limits count a request's prompt with it before the call (exactly up to a budget of text, the rest
/// extrapolated, since counting costs about 30 ms a megabyte), and skips the long strings its caller sent before
/// (<see cref="TokenCountCache"/>); the trace writer counts what a provider did not report, exactly. It counts the
/// strings the request's reader decoded in its one pass (<see cref="PromptTexts"/>), without reading the JSON again.
/// </summary>
internal sealed class TokenCounter
{
    // OpenAI's chat format adds a few tokens per message and for the reply's priming.
    private const int TokensPerMessage = 3;
    private const int ReplyPriming = 3;

    // One tokenizer a thread: each keeps an LRU cache of pieces behind a lock, which every request thread contended
    // for (a fifth of the CPU at 32 connections in design 0008's profile). The vocabulary itself is loaded once and
    // shared by every instance.
    [ThreadStatic]
    private static Tokenizer? t_tokenizer;

    // ~16 K long strings (about 1 MB): room for many callers' conversations.
    private readonly TokenCountCache _counted = new(16 * 1024);

    public static TokenCounter Shared { get; } = new();

    private static Tokenizer Tokenizer => t_tokenizer ??= TiktokenTokenizer.CreateForModel("gpt-4o");

    /// <summary>Strings counted before, looked up rather than counted again.</summary>
    public TokenCountCache Counted => _counted;

    public static int Count(string text) => text.Length == 0 ? 0 : Tokenizer.CountTokens(text);

    /// <summary>
    /// The prompt a request's reader found (<see cref="PromptTexts"/>: every string of a chat's messages, such as
    /// roles, names, text parts and tool arguments, or of a completions prompt or embeddings input), plus the chat
    /// format's overhead; token ids count one each. No pass over the JSON: the reader decoded the strings already.
    /// </summary>
    /// <param name="body">The body the texts were read from (the count cache keys long strings by their bytes).</param>
    /// <param name="exactChars">
    /// How many characters of text to count exactly (a string that crosses the line is counted up to it); the rest
    /// is estimated at the ratio of tokens to characters counted so far. Unbounded by default.
    /// </param>
    /// <param name="caller">
    /// Whose prompt it is: long strings this caller sent before (its conversation so far) are not counted again
    /// but taken from <see cref="TokenCountCache"/>, whose entries are the caller's own. Null counts everything.
    /// </param>
    public long CountPrompt(PromptTexts texts, ReadOnlySpan<byte> body, int exactChars = int.MaxValue, string? caller = null)
    {
        long total = texts.Numbers + (texts.IsChat ? ReplyPriming + (long)TokensPerMessage * texts.Messages : 0);
        var budget = new Budget(exactChars, caller is null ? null : PartitionOf(caller));
        foreach (ref readonly var text in texts.Items)
        {
            total += CountText(texts, text, body, ref budget);
        }

        return total;
    }

    private long CountText(PromptTexts texts, in PromptText text, ReadOnlySpan<byte> body, ref Budget budget)
    {
        if (text.CharLength == 0)
        {
            return 0;
        }

        var raw = text.RawValue(body);
        TokenCountCache.Key? key = budget.Partition is { } partition && raw.Length >= TokenCountCache.MinimumBytes
            ? TokenCountCache.KeyOf(raw, partition)
            : null;
        if (key is { } seen && _counted.TryGet(seen, out var known))
        {
            return known;
        }

        var chars = text.CharLength;
        if (budget.Spent)
        {
            return budget.Estimate(chars);
        }

        // A string larger than what is left of the budget: its start is counted, the rest extrapolated.
        var counted = (int)Math.Min(chars, Math.Max(budget.Left, 1));
        var tokens = Tokenizer.CountTokens(texts.Chars(text)[..counted]);
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
