namespace Gateway.Tracking.Store;

/// <summary>
/// A trace whose spans or bodies this gateway cannot unpack: a newer gateway wrote them in a format added since
/// (formats are only ever added), or the row was damaged. Carries the row's user so the API can keep a user-scoped
/// caller from learning that another user's trace exists.
/// </summary>
internal sealed class TraceDetailUnreadableException(string requestId, string? user, string reason, Exception inner)
    : Exception($"trace {requestId}'s detail could not be read: {reason}", inner)
{
    public string? User { get; } = user;

    public string Reason { get; } = reason;
}
