using System.Text;

namespace LoadTests.Runner;

/// <summary>The request bodies of the scenarios, written once per system (the model name differs).</summary>
internal sealed class Payloads(string directory, string system, string chatModel, string embeddingsModel)
{
    // JSON-escaped text with the escapes real prompts carry (newlines, quotes, non-ASCII), so parsing is not flattered.
    private const string Sentence = "Our quarterly revenue grew in every region \\u2014 Zürich too.\\nThe team said \\\"ship it\\\", and the support queue is 15% shorter. ";

    public string Chat1K => Write("chat-1k", Chat(chatModel, 850, stream: false));

    public string Chat100K => Write("chat-100k", Chat(chatModel, 100 * 1024, stream: false));

    public string Chat1M => Write("chat-1m", Chat(chatModel, 1024 * 1024, stream: false));

    public string Embeddings => Write("embeddings", $$"""{"model":"{{embeddingsModel}}","input":"{{Text(400)}}","encoding_format":"float"}""");

    public byte[] StreamBody => Encoding.UTF8.GetBytes(Chat(chatModel, 850, stream: true));

    /// <summary>
    /// Where a request's number goes: wrk (loadtests/wrk/post.lua) and the stream client write a new six-digit number
    /// over it for every request, so every user turn is new text, as it is in real traffic, and nothing a system
    /// keeps about a prompt it saw before (our gateway keeps each caller's token counts) flatters it.
    /// </summary>
    internal const string Marker = "#000000";

    /// <summary>A chat body of about <paramref name="size"/> bytes: a system prompt and one long user turn, numbered per request.</summary>
    internal static string Chat(string model, int size, bool stream) =>
        $$"""{"model":"{{model}}","messages":[{"role":"system","content":"You are a concise assistant for a finance team."},{"role":"user","content":"{{Marker}} {{Text(Math.Max(16, size - 168))}}"}],"temperature":0.2,"max_tokens":256{{(stream ? ",\"stream\":true" : "")}}}""";

    /// <summary>A copy of <paramref name="body"/> with request number <paramref name="number"/> written over its <see cref="Marker"/>.</summary>
    internal static byte[] Numbered(byte[] body, long number)
    {
        var at = body.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Marker));
        if (at < 0)
        {
            return body;
        }

        var copy = (byte[])body.Clone();
        Encoding.ASCII.GetBytes($"#{number % 1_000_000:D6}", copy.AsSpan(at));
        return copy;
    }

    private static string Text(int length)
    {
        var text = new StringBuilder(length + Sentence.Length);
        while (text.Length + Sentence.Length <= length || text.Length == 0)
        {
            text.Append(Sentence);
        }

        // Whole sentences only: a cut could split an escape sequence and make the JSON invalid.
        return text.ToString().TrimEnd();
    }

    private string Write(string name, string body)
    {
        var path = Path.Combine(directory, $"{system}-{name}.json");
        if (!File.Exists(path))
        {
            File.WriteAllText(path, body);
        }

        return path;
    }
}
