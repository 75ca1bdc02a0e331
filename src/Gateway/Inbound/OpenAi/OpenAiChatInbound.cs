using Gateway.Core.Chat;
using Gateway.Errors;
using Gateway.Providers;
using Gateway.Streaming;
using Microsoft.AspNetCore.Http;

namespace Gateway.Inbound.OpenAi;

/// <summary>OpenAI's chat completions for providers that translate: its reader into the neutral chat, its writer out of it.</summary>
internal sealed class OpenAiChatInbound : IChatInbound
{
    public static readonly OpenAiChatInbound Instance = new();

    private OpenAiChatInbound()
    {
    }

    public GatewayError? TryReadChat(ReadOnlyMemory<byte> body, ChatTarget target, out ChatRequest? request) =>
        OpenAiChatReader.TryRead(body, target, out request);

    public IChatAnswerWriter CreateWriter(HttpResponse response, StreamRelay relay, string model, long created, bool includeUsage, string? id = null) =>
        new OpenAiChatWriter(response, relay, "chatcmpl-" + (id ?? Guid.NewGuid().ToString("N")[..24]), model, created, includeUsage);
}
