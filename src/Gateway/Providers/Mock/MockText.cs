using System.Text;
using System.Text.Json;

namespace Gateway.Providers.Mock;

/// <summary>The mock's deterministic text and token arithmetic (about four UTF-8 bytes a token, as OpenAI's rule of thumb).</summary>
internal static class MockText
{
    public static int Tokens(string text) => Math.Max(1, (Encoding.UTF8.GetByteCount(text) + 3) / 4);

    /// <summary>Prompt tokens the way OpenAI counts chat: the text of each message plus a few per message.</summary>
    public static int ChatPromptTokens(JsonElement messages)
    {
        var total = 3;
        foreach (var message in messages.EnumerateArray())
        {
            total += 4 + Tokens(ContentText(message));
        }

        return total;
    }

    public static string ContentText(JsonElement message)
    {
        if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var content))
        {
            return "";
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var value) && value.ValueKind == JsonValueKind.String)
            {
                text.Append(value.GetString());
            }
        }

        return text.ToString();
    }

    /// <summary>The reply: the same prompt always gets the same words.</summary>
    public static string Reply(string model, string prompt)
    {
        var said = prompt.ReplaceLineEndings(" ").Trim();
        if (said.Length > 120)
        {
            said = said[..120] + "…";
        }

        return said.Length == 0
            ? $"Hello from the gateway's mock model {model}. Send a message and I will echo it."
            : $"Hello from the gateway's mock model {model}. You said: \"{said}\"";
    }

    /// <summary>Splits a reply into stream deltas, one word each with its leading space, as models stream.</summary>
    public static List<string> Words(string text)
    {
        var words = new List<string>();
        var start = 0;
        for (var i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ' ')
            {
                words.Add(text[start..i]);
                start = i;
            }
        }

        return words;
    }

    /// <summary>Keeps at most <paramref name="maxTokens"/> words (one token each in the mock's arithmetic).</summary>
    public static (List<string> Words, bool Truncated) Limit(List<string> words, int? maxTokens) =>
        maxTokens is { } max && max < words.Count ? (words[..Math.Max(0, max)], true) : (words, false);

    public static string Id(string prefix, string seed) =>
        prefix + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(seed)))[..24];
}
