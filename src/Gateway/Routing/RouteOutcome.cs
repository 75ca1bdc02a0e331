using Gateway.Errors;
using Gateway.Tracking;

namespace Gateway.Routing;

/// <summary>
/// What routing a request came to: the error it ended with (to write, or, once the answer had started, to
/// record), the target that answered or was tried last, and the provider calls made.
/// </summary>
internal readonly record struct RouteOutcome(GatewayError? Error, TargetName? Target, int Attempts);
