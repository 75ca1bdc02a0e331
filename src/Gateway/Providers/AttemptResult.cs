using Gateway.Errors;

namespace Gateway.Providers;

/// <summary>How one attempt at a target ended.</summary>
internal enum AttemptStatus
{
    /// <summary>The answer went to the client.</summary>
    Served,

    /// <summary>The target failed before anything reached the client: another attempt may still answer.</summary>
    Failed,

    /// <summary>The request is one no target could serve (our own 400): answer it at once.</summary>
    Refused,

    /// <summary>The answer had started and then broke; the provider ended the client's stream with an error.</summary>
    BrokeAfterStart,

    /// <summary>The caller hung up.</summary>
    CallerGone,
}

/// <summary>
/// What an attempt came to. A provider writes an answer only when it has one to give: its failures before the
/// first byte come back here as a <see cref="GatewayError"/>, and the router decides whether to retry, fall
/// back, or write it.
/// </summary>
internal sealed record AttemptResult(AttemptStatus Status, GatewayError? Error = null)
{
    public static readonly AttemptResult Served = new(AttemptStatus.Served);

    public static readonly AttemptResult CallerGone = new(AttemptStatus.CallerGone);

    public static AttemptResult Failed(GatewayError error) => new(AttemptStatus.Failed, error);

    public static AttemptResult Refused(GatewayError error) => new(AttemptStatus.Refused, error);

    public static AttemptResult BrokeAfterStart(GatewayError error) => new(AttemptStatus.BrokeAfterStart, error);
}
