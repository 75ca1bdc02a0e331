
namespace Gateway.Tracking;

internal sealed partial class TraceWriter
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<TraceRecord> _overflow = new();
    private int _overflowing;

    // ConcurrentQueue.Count walks its segments; the bound is kept by this count, reserved before the enqueue.
    private int _overflowCount;

    /// <summary>
    /// Hands a finished trace to the writer without waiting. When the queue is full (the store or the writer is
    /// behind), the trace goes to the overflow compact: its spans and bodies dropped, its usage and cost kept (the
    /// writer estimates and prices it), so the usage report loses nothing; when the overflow is full too, it is
    /// dropped. Both are counted.
    /// </summary>
    public ValueTask EnqueueAsync(TraceRecord trace)
    {
        if (_queue.Writer.TryWrite(trace))
        {
            // Recovered only once the overflow is written and the queue half empty: a writer running at the
            // queue's edge would otherwise log an episode per batch.
            if (_overflowing != 0 && _overflow.IsEmpty && _queue.Reader.Count <= _options.QueueCapacity / 2
                && Interlocked.Exchange(ref _overflowing, 0) != 0)
            {
                Log.QueueRecovered(_logger);
            }
        }
        else
        {
            Overflow(trace);
        }

        var total = Interlocked.Increment(ref _enqueued);
        if (_enqueueWaiterCount > 0)
        {
            ReleaseEnqueueWaiters(total);
        }

        return ValueTask.CompletedTask;
    }

    private void Overflow(TraceRecord trace)
    {
        if (Interlocked.Exchange(ref _overflowing, 1) == 0)
        {
            Log.QueueFull(_logger, _options.QueueCapacity);
        }

        if (_queue.Reader.Completion.IsCompleted)
        {
            _dropped.Add(1);
            return;
        }

        if (Interlocked.Increment(ref _overflowCount) > _options.QueueCapacity)
        {
            Interlocked.Decrement(ref _overflowCount);
            _dropped.Add(1);
            return;
        }

        // Kept compact and completed (estimated, priced) by the writer like any other: no tokenizer on this thread.
        _overflow.Enqueue(trace with { Spans = [], PackedSpans = null, PendingSpans = null, RequestBody = null, PendingRequestBody = null, ResponseBody = null, RedactBodies = null });
        _compacted.Add(1);
    }

    /// <summary>Completes once <paramref name="count"/> traces have been handed over (a request's trace follows its response by a moment).</summary>
    public Task WhenEnqueuedAsync(long count)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_enqueueWaiters)
        {
            _enqueueWaiters.Add((count, waiter));
            _enqueueWaiterCount = _enqueueWaiters.Count;
        }

        ReleaseEnqueueWaiters(Enqueued);
        return waiter.Task;
    }

    private void ReleaseEnqueueWaiters(long total)
    {
        lock (_enqueueWaiters)
        {
            foreach (var (_, waiter) in _enqueueWaiters.Where(w => total >= w.Count))
            {
                waiter.TrySetResult();
            }

            _enqueueWaiters.RemoveAll(w => total >= w.Count);
            _enqueueWaiterCount = _enqueueWaiters.Count;
        }
    }
}
