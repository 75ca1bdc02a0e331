using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Providers;

internal static partial class ProviderLog
{
    [LoggerMessage(EventId = 3001, EventName = "UpstreamFailed", Level = LogLevel.Warning,
        Message = "Upstream call to provider {Provider} (model {Model}) failed: {Error}; response already started: {ResponseStarted}")]
    public static partial void UpstreamFailed(ILogger logger, string provider, string model, ForwarderError error, bool responseStarted);
}
