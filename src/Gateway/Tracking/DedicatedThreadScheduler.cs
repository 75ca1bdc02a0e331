using System.Collections.Concurrent;

namespace Gateway.Tracking;

/// <summary>
/// Runs a loop's tasks and continuations on one thread of its own. The trace writer runs here so that
/// SQLite's synchronous work (its "async" methods complete on the calling thread) never holds a
/// thread-pool thread that requests are waiting for; the OS shares the cores between this thread and the
/// pool instead of requests queueing behind a batch.
/// </summary>
internal sealed class DedicatedThreadScheduler : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _tasks = [];
    private readonly Thread _thread;
    private int _disposed;

    public DedicatedThreadScheduler(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public override int MaximumConcurrencyLevel => 1;

    /// <summary>Lets the thread finish the tasks already queued and end. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _tasks.CompleteAdding();
        }
    }

    protected override void QueueTask(Task task) => _tasks.Add(task);

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Thread.CurrentThread == _thread && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _tasks.ToArray();

    private void Run()
    {
        foreach (var task in _tasks.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }

        _tasks.Dispose();
    }
}
