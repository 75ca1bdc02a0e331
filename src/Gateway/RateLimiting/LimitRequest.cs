using Gateway.Auth;
using Gateway.Configuration.Model;
using Gateway.Core;

namespace Gateway.RateLimiting;

/// <summary>What the limiter needs to know of a request: who, which endpoint, and (for token and cost limits) its prompt.</summary>
/// <param name="Body">The body <paramref name="Texts"/> were read from.</param>
/// <param name="Texts">The prompt's strings as the reader decoded them; null counts no prompt tokens.</param>
/// <param name="MaxOutputTokens">The most the answer may hold, as the caller asked; reserved with the prompt.</param>
internal sealed record LimitRequest(GatewayConfig Config, CallerIdentity Caller, string Endpoint, ReadOnlyMemory<byte> Body, PromptTexts? Texts, long? MaxOutputTokens);
