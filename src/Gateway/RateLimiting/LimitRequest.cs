using Gateway.Auth;
using Gateway.Configuration.Model;

namespace Gateway.RateLimiting;

/// <summary>What the limiter needs to know of a request: who, which endpoint, and (for token and cost limits) its body.</summary>
/// <param name="Operation">chat, completions or embeddings: where the prompt is in the body.</param>
/// <param name="MaxOutputTokens">The most the answer may hold, as the caller asked; reserved with the prompt.</param>
internal sealed record LimitRequest(GatewayConfig Config, CallerIdentity Caller, string Endpoint, string Operation, ReadOnlyMemory<byte> Body, long? MaxOutputTokens);
