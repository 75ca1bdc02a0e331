using System.Collections.Concurrent;

namespace Gateway.Providers.Upstream;

/// <summary>
/// One heartbeat for every open upstream body: a timer per body (or re-armed per read) cost the time-to-first-token
/// tail dearly under load. Each tick asks every watched body whether its pending read has waited past its idle limit.
/// The heartbeat runs on the gateway's <see cref="TimeProvider"/>, so tests move it with a fake clock.
/// </summary>
internal sealed class BodyWatch : IDisposable
{
    /// <summary>How often pending reads are looked at: an idle timeout fires up to this much late.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    // Every response body adds and removes itself: with the default one lock per core, two cores serving thousands
    // of requests a second spend their time contending for it (seen in profiles at saturation).
    private readonly ConcurrentDictionary<WatchedBodyStream, byte> _open = new(concurrencyLevel: 64, capacity: 1024);
    private readonly ITimer _heartbeat;

    public BodyWatch(TimeProvider time)
    {
        Time = time;
        _heartbeat = time.CreateTimer(static watch => ((BodyWatch)watch!).Tick(), this, Period, Period);
    }

    public TimeProvider Time { get; }

    public void Watch(WatchedBodyStream body) => _open.TryAdd(body, 0);

    public void Unwatch(WatchedBodyStream body) => _open.TryRemove(body, out _);

    public void Dispose() => _heartbeat.Dispose();

    private void Tick()
    {
        foreach (var (body, _) in _open)
        {
            body.Check();
        }
    }
}
