using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Providers;

internal static partial class ProviderLog
{
    [LoggerMessage(EventId = 3001, EventName = "UpstreamFailed", Level = LogLevel.Warning,
        Message = "Upstream call to provider {Provider} (model {Model}) failed: {Error}; response already started: {ResponseStarted}")]
    public static partial void UpstreamFailed(ILogger logger, string provider, string model, ForwarderError error, bool responseStarted);

    // Not a provider failure: the caller closed the connection (gave up, or finished reading and hung up).
    [LoggerMessage(EventId = 3002, EventName = "CallerWentAway", Level = LogLevel.Debug,
        Message = "The caller closed the connection during the call to provider {Provider} (model {Model}): {Error}")]
    public static partial void CallerWentAway(ILogger logger, string provider, string model, ForwarderError error);

    // A bug, not an upstream failure: the stream relay itself threw; the caller's stream ends with an error event.
    [LoggerMessage(EventId = 3003, EventName = "StreamRelayFailed", Level = LogLevel.Error,
        Message = "Relaying the stream of provider {Provider} (model {Model}) failed")]
    public static partial void StreamRelayFailed(ILogger logger, Exception exception, string provider, string model);
}
