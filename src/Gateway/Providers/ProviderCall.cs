using Gateway.Auth;
using Gateway.Configuration.Model;
using Gateway.Core;
using Gateway.Providers.Upstream;
using Gateway.Streaming;
using Microsoft.AspNetCore.Http;

namespace Gateway.Providers;

/// <summary>One attempt to serve a request with one target: what a provider needs, in no router's terms.</summary>
/// <param name="Kind">The operation the endpoint serves.</param>
/// <param name="Endpoint">The endpoint's config (max tokens, dropping unsupported parameters).</param>
/// <param name="Relay">Where a streamed answer's events go: through the meter and the guard to the caller.</param>
/// <param name="Inbound">The caller's API, for providers that translate: its chat in the neutral model, and its answer writer.</param>
internal sealed record ProviderCall(HttpContext HttpContext, CallerIdentity Caller, EndpointKind Kind, EndpointConfig Endpoint, ProviderTarget Target,
    RequestBody Body, ParsedRequest Request, UpstreamAttempt Attempt, StreamRelay Relay, IChatInbound Inbound);
