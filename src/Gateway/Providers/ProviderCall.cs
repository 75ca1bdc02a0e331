using Gateway.Auth;
using Gateway.Core;
using Gateway.Providers.Upstream;
using Gateway.Routing;
using Microsoft.AspNetCore.Http;

namespace Gateway.Providers;

/// <summary>One attempt to serve a request with one target.</summary>
internal sealed record ProviderCall(HttpContext HttpContext, CallerIdentity Caller, RoutedEndpoint Endpoint, RouteTarget Target, RequestBody Body, ParsedRequest Request, UpstreamAttempt Attempt);
