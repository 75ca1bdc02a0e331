using Gateway.Errors;

namespace Gateway.Providers.Upstream;

/// <summary>The three waits an upstream call may make, resolved per attempt (target, then endpoint, then defaults).</summary>
internal sealed record AttemptTimeouts(TimeSpan Connect, TimeSpan FirstByte, TimeSpan Idle)
{
    public static readonly TimeSpan DefaultConnect = TimeSpan.FromSeconds(10);
}

/// <summary>
/// One attempt at one target, as the upstream HTTP layer sees it: who is called, how long each wait may be, and
/// what went wrong. Handed to the attempt's own YARP transformer, and travels as a request option (for the
/// invoker and the body stream).
/// </summary>
internal sealed class UpstreamAttempt(string provider, string model, AttemptTimeouts timeouts)
{
    public static readonly HttpRequestOptionsKey<UpstreamAttempt> OptionKey = new("Gateway.UpstreamAttempt");

    public string Provider { get; } = provider;

    public string Model { get; } = model;

    public AttemptTimeouts Timeouts { get; } = timeouts;

    /// <summary>
    /// The body is relayed to the client as it is (YARP): when an event stream breaks, the body stream ends it
    /// with an OpenAI error event rather than a cut connection.
    /// </summary>
    public bool Relayed { get; set; }

    /// <summary>The provider answered with an error, read (not relayed) so the router can retry or fall back.</summary>
    public GatewayError? UpstreamError { get; set; }

    /// <summary>The relayed stream broke after it started; the client got the error event.</summary>
    public GatewayError? BrokenStream { get; set; }
}

/// <summary>A wait on the provider ran past its limit.</summary>
internal sealed class UpstreamTimeoutException(string phase, TimeSpan limit, Exception? inner = null)
    : TimeoutException($"no {phase} from the provider within {Configuration.Model.Durations.Format(limit)}", inner)
{
    public string Phase { get; } = phase;

    public TimeSpan Limit { get; } = limit;
}
