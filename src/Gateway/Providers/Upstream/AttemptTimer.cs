namespace Gateway.Providers.Upstream;

/// <summary>
/// A token cancelled by the caller's token or when <c>delay</c> has passed on the gateway's clock. On the system
/// clock it is one linked source with the runtime's own timer; on another clock (a fake one in tests) the clock's
/// timer cancels it.
/// </summary>
internal readonly struct AttemptTimer : IDisposable
{
    private readonly CancellationTokenSource _linked;
    private readonly ITimer? _timer;

    public AttemptTimer(TimeSpan delay, TimeProvider time, CancellationToken cancellationToken)
    {
        _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (ReferenceEquals(time, TimeProvider.System))
        {
            _linked.CancelAfter(delay);
        }
        else
        {
            _timer = time.CreateTimer(static source => CancelQuietly((CancellationTokenSource)source!), _linked, delay, Timeout.InfiniteTimeSpan);
        }
    }

    public CancellationToken Token => _linked.Token;

    // A timer callback already running when the attempt ends may find the source disposed: the wait is over anyway.
    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _linked.Dispose();
    }
}
