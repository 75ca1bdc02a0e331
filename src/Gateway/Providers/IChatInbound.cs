using Gateway.Core.Chat;
using Gateway.Errors;
using Gateway.Streaming;
using Microsoft.AspNetCore.Http;

namespace Gateway.Providers;

/// <summary>
/// What a provider that translates needs from the API the caller spoke: the chat request in the neutral model, and
/// a writer that renders the neutral answer in that API's wire format. Each inbound API brings one; providers know
/// none of them by name.
/// </summary>
internal interface IChatInbound
{
    /// <summary>The caller's chat as a <see cref="ChatRequest"/>, or the 400 for what <paramref name="target"/> cannot honour.</summary>
    GatewayError? TryReadChat(ReadOnlyMemory<byte> body, ChatTarget target, out ChatRequest? request);

    /// <summary>The writer of one answer: the whole object to the response, a stream's pieces through the relay.</summary>
    /// <param name="includeUsage">A stream ends with the usage (the caller asked for it, or the trace did).</param>
    /// <param name="id">The answer's own part of its id (the API adds its prefix); null for a random one.</param>
    IChatAnswerWriter CreateWriter(HttpResponse response, StreamRelay relay, string model, long created, bool includeUsage, string? id = null);
}
