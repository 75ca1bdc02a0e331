using Gateway.Core;
using Gateway.Inbound.OpenAi;
using Gateway.Tracking;

namespace Gateway.Tests.Support;

/// <summary>A chat body's prompt counted as the gateway counts it: the reader decodes the texts, the counter counts them.</summary>
internal static class Prompts
{
    /// <summary>The body's prompt texts as the resolve stage has the reader decode them (the caller disposes them).</summary>
    public static PromptTexts Read(byte[] body, EndpointKind kind = EndpointKind.Chat)
    {
        var texts = new PromptTexts();
        Assert.Null(OpenAiRequestReader.TryRead(body, kind, out _, texts));
        return texts;
    }

    public static long Count(TokenCounter counter, byte[] body, int exactChars = int.MaxValue, string? caller = null, EndpointKind kind = EndpointKind.Chat)
    {
        using var texts = Read(body, kind);
        return counter.CountPrompt(texts, body, exactChars, caller);
    }
}
