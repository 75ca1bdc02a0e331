using Gateway.Auth;
using Gateway.Core;
using Gateway.Providers;
using Gateway.Streaming;
using Gateway.Tracking;
using Microsoft.AspNetCore.Http;

namespace Gateway.Routing;

/// <summary>One request as the router serves it: who asks which endpoint, the body and its facts, and where the answer goes.</summary>
/// <param name="Meter">The meter on the answer, when one watches it (the attempt spans read what it saw).</param>
/// <param name="Relay">The path of a streamed answer's events to the caller.</param>
/// <param name="Inbound">The caller's API, for providers that translate.</param>
internal sealed record RouteRequest(HttpContext Http, CallerIdentity Caller, RoutedEndpoint Endpoint, RequestBody Body, ParsedRequest Parsed,
    ResponseMeter? Meter, StreamRelay Relay, IChatInbound Inbound);
