using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Gateway.Core;

/// <summary>Which field of a request a text is: where guardrails look, and how the trace names the place.</summary>
internal enum PromptField : byte
{
    /// <summary>Counted as prompt, not guarded: roles, names, ids, a tool's name, nested values.</summary>
    Other,

    /// <summary>messages[m].content as a string.</summary>
    Content,

    /// <summary>messages[m].content[p].text.</summary>
    ContentPart,

    /// <summary>messages[m].tool_calls[p].function.arguments.</summary>
    ToolArguments,

    /// <summary>messages[m].function_call.arguments.</summary>
    FunctionArguments,

    /// <summary>prompt, or prompt[p].</summary>
    Prompt,

    /// <summary>input, or input[p].</summary>
    Input,
}

/// <summary>One string of a request's prompt: where its token is in the body and where its decoded text is in the arena.</summary>
/// <param name="TokenStart">Byte offset of the string token (its opening quote) in the body.</param>
/// <param name="TokenLength">Bytes of the token, quotes included.</param>
/// <param name="CharStart">Where the decoded text starts in <see cref="PromptTexts"/>' characters.</param>
/// <param name="Message">The message's position (chat); -1 otherwise.</param>
/// <param name="Part">The position in the field's array (a content part, a tool call, a prompt item); -1 when none.</param>
internal readonly record struct PromptText(int TokenStart, int TokenLength, int CharStart, int CharLength, PromptField Field, int Message, int Part)
{
    /// <summary>Guardrails read it (message and tool texts, prompts, inputs); the rest is counted only.</summary>
    public bool Guarded => Field != PromptField.Other;

    /// <summary>The JSON bytes between the quotes, as they came (escapes not undone).</summary>
    public ReadOnlySpan<byte> RawValue(ReadOnlySpan<byte> body) => body.Slice(TokenStart + 1, TokenLength - 2);

    /// <summary>The place as the trace names it: messages[1].content[0].text.</summary>
    public string Location => Field switch
    {
        PromptField.Content => string.Create(CultureInfo.InvariantCulture, $"messages[{Message}].content"),
        PromptField.ContentPart => string.Create(CultureInfo.InvariantCulture, $"messages[{Message}].content[{Part}].text"),
        PromptField.ToolArguments => string.Create(CultureInfo.InvariantCulture, $"messages[{Message}].tool_calls[{Part}].function.arguments"),
        PromptField.FunctionArguments => string.Create(CultureInfo.InvariantCulture, $"messages[{Message}].function_call.arguments"),
        PromptField.Prompt => Part < 0 ? "prompt" : string.Create(CultureInfo.InvariantCulture, $"prompt[{Part}]"),
        PromptField.Input => Part < 0 ? "input" : string.Create(CultureInfo.InvariantCulture, $"input[{Part}]"),
        _ => "",
    };
}

/// <summary>
/// Every string of a request's prompt, decoded once while the inbound API's reader validates the body, so the
/// limiter's token count and the request guardrails read the text without another pass over the JSON. Also
/// what the count needs besides the strings: how many messages (the chat format's overhead) and numbers (token
/// ids). The decoded characters sit in one pooled arena, returned when the request ends.
/// </summary>
internal sealed class PromptTexts : IDisposable
{
    private char[] _chars = ArrayPool<char>.Shared.Rent(4096);
    private PromptText[] _items = ArrayPool<PromptText>.Shared.Rent(32);
    private int _charCount;

    /// <summary>The strings in document order.</summary>
    public ReadOnlySpan<PromptText> Items => _items.AsSpan(0, Count);

    public int Count { get; private set; }

    /// <summary>A chat's messages: each costs the chat format a few tokens. 0 for other operations.</summary>
    public int Messages { get; set; }

    /// <summary>Numbers in the prompt (token ids, one token each).</summary>
    public int Numbers { get; set; }

    /// <summary>The body's field that holds the prompt (messages, prompt, input).</summary>
    public string Payload { get; set; } = "";

    /// <summary>The prompt is a chat's messages (the format's overhead applies).</summary>
    public bool IsChat { get; set; }

    /// <summary>The decoded text of one string.</summary>
    public ReadOnlySpan<char> Chars(in PromptText text) => _chars.AsSpan(text.CharStart, text.CharLength);

    /// <summary>The decoded text of one string, as a string (what detectors take).</summary>
    public string String(in PromptText text) => text.CharLength == 0 ? "" : new string(Chars(text));

    /// <summary>
    /// Decodes the string token the reader is on (escapes undone) and records it. False when it cannot be decoded:
    /// bytes that are not UTF-8, or an escaped surrogate without its pair.
    /// </summary>
    public bool Add(ref Utf8JsonReader reader, PromptField field, int message, int part)
    {
        // A string decodes to no more UTF-16 units than it has bytes (escapes only shrink it).
        var raw = reader.ValueSpan.Length;
        EnsureChars(raw);
        int length;
        try
        {
            length = reader.CopyString(_chars.AsSpan(_charCount));
        }
        catch (InvalidOperationException)
        {
            return false; // the reader's only way to say the text is not UTF-8 or not valid UTF-16
        }

        if (Count == _items.Length)
        {
            _items = Grow(_items, Count, Count * 2);
        }

        _items[Count++] = new PromptText((int)reader.TokenStartIndex, raw + 2, _charCount, length, field, message, part);
        _charCount += length;
        return true;
    }

    public void Dispose()
    {
        if (_chars.Length > 0)
        {
            ArrayPool<char>.Shared.Return(_chars);
            ArrayPool<PromptText>.Shared.Return(_items);
            _chars = [];
            _items = [];
            Count = 0;
        }
    }

    private void EnsureChars(int more)
    {
        if (_charCount + more > _chars.Length)
        {
            _chars = Grow(_chars, _charCount, Math.Max(_chars.Length * 2, _charCount + more));
        }
    }

    private static T[] Grow<T>(T[] old, int used, int size)
    {
        var larger = ArrayPool<T>.Shared.Rent(size);
        old.AsSpan(0, used).CopyTo(larger);
        ArrayPool<T>.Shared.Return(old);
        return larger;
    }
}
