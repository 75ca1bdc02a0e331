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
}
