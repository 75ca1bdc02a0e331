using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Gateway.Configuration;
using Gateway.Configuration.Model;
using Gateway.Tracking.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Tracking;

/// <summary>
/// Takes finished traces off the request path: a bounded in-memory queue, drained by one loop on its own
/// thread into batches (whatever queued within flush_interval of a batch's first trace, up to batch_size),
/// each written to the store in one transaction. A batch the store refuses or is too slow for
/// (write_timeout) is appended to the journal and the store is left alone for retry_interval; journaled
/// batches are replayed, in order, before anything newer is written. On shutdown, after the server has
/// finished its requests, the queue is drained. The request path never waits for the writer: past the queue's
/// capacity a trace is kept compact (usage and cost, no spans or bodies) in an overflow of the same capacity, and
/// past that it is dropped; both are counted and logged.
/// </summary>
internal sealed partial class TraceWriter : IHostedLifecycleService, IDisposable
{
    /// <summary>How often an idle writer looks at the journal (replays once the store is back).</summary>
    private static readonly TimeSpan IdleCheck = TimeSpan.FromSeconds(1);

    /// <summary>Queued by <see cref="FlushAsync"/>: when the loop reaches it, everything before it is written.</summary>
    private static readonly TraceRecord FlushMarker = new()
    {
        RequestId = "", TraceId = "", SpanId = "", StartedAtUs = 0, DurationMs = 0, State = "", StatusCode = 0, Operation = "",
    };

    private readonly System.Collections.Concurrent.ConcurrentQueue<TaskCompletionSource> _flushWaiters = new();

    private readonly Channel<TraceRecord> _queue;
    private readonly TrackingConfig _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TraceWriter> _logger;
    private readonly TokenEstimator _estimator = new();
    private readonly Counter<long> _written;
    private readonly Counter<long> _journaled;
    private readonly Counter<long> _compacted;
    private readonly Counter<long> _dropped;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _draining = new();
    private readonly DedicatedThreadScheduler _thread = new("trace-writer");
    private Task? _loop;
    private readonly SemaphoreSlim _migration = new(1, 1);
    private readonly List<(long Count, TaskCompletionSource Waiter)> _enqueueWaiters = [];
    private volatile int _enqueueWaiterCount;
    private long _enqueued;
    private long _journaledTotal;
    private volatile bool _migrated;
    private long _retryAt;
    private bool _storeDown;

    public TraceWriter(ConfigStore config, ITraceStore store, TimeProvider time, ILogger<TraceWriter> logger, IMeterFactory meters)
    {
        var snapshot = config.Current;
        // Where the store and journal are, and how batches are cut, are start-up settings.
        _options = snapshot.Config.Tracking;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<TraceRecord>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Store = store;
        Journal = new TraceJournal(TrackingStores.JournalDirectory(_options, snapshot.Source));
        var meter = meters.Create("Gateway.Tracking");
        _written = meter.CreateCounter<long>("gateway.tracking.traces_written", description: "Traces committed to the tracking store");
        _journaled = meter.CreateCounter<long>("gateway.tracking.traces_journaled", description: "Traces spilled to the local journal while the store was down or slow");
        _compacted = meter.CreateCounter<long>("gateway.tracking.traces_compacted", description: "Traces kept without their spans and bodies because the writer's queue was full (usage and cost kept)");
        _dropped = meter.CreateCounter<long>("gateway.tracking.traces_dropped", description: "Traces lost because the writer's queue and its overflow were both full");
        meter.CreateObservableGauge("gateway.tracking.queue_length", () => (long)_queue.Reader.Count + Volatile.Read(ref _overflowCount), description: "Traces waiting in memory for the writer");
    }

    public ITraceStore Store { get; }

    public TraceJournal Journal { get; }

    /// <summary>Traces that went to the journal since start-up (the store was down or slow).</summary>
    public long Journaled => Interlocked.Read(ref _journaledTotal);

    /// <summary>Traces handed over since start-up.</summary>
    public long Enqueued => Interlocked.Read(ref _enqueued);

    /// <summary>Waits until everything queued so far is in the store (or the journal).</summary>
    /// <param name="retryStoreNow">Try a store that failed again at once, rather than after retry_interval (tests, and an operator who knows it is back).</param>
    public async Task FlushAsync(CancellationToken cancellationToken, bool retryStoreNow = false)
    {
        if (retryStoreNow)
        {
            Interlocked.Exchange(ref _retryAt, 0);
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _flushWaiters.Enqueue(done);
        await _queue.Writer.WriteAsync(FlushMarker, cancellationToken);
        await done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Creates or upgrades the schema once; readers (the usage API) call it too, before their first query.</summary>
    public async Task EnsureMigratedAsync(CancellationToken cancellationToken)
    {
        if (_migrated)
        {
            return;
        }

        await _migration.WaitAsync(cancellationToken);
        try
        {
            if (!_migrated)
            {
                await Store.MigrateAsync(cancellationToken);
                _migrated = true;
            }
        }
        finally
        {
            _migration.Release();
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return Task.CompletedTask; // no traces will come: no store to open, no journal to replay
        }

        // Every continuation of the loop stays on the writer's own thread (await resumes on the current scheduler).
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.DenyChildAttach, _thread).Unwrap();
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Every other service has stopped, the server included: no trace can arrive any more. Drain.</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await _draining.CancelAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Out of shutdown time with the store hanging: what is still queued goes to the journal.
                await _stopping.CancelAsync();
                await _loop;
            }
        }

        Journal.Dispose(); // the store itself is the container's to dispose
        _thread.Dispose();
    }

    public void Dispose()
    {
        _thread.Dispose();
        _stopping.Dispose();
        _draining.Dispose();
        _migration.Dispose();
        Journal.Dispose();
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<TraceRecord>(_options.BatchSize);
        await WriteOrJournalAsync(batch); // migrates at once, and replays what an earlier run left in the journal
        while (true)
        {
            var more = await WaitAsync(reader);
            if (more && reader.Count < _options.BatchSize && !_draining.IsCancellationRequested)
            {
                // Let traces pile up into one batch (one timer, not a wake per trace): a transaction per
                // request would cost more than the request. A full batch waiting goes at once; shutdown cuts
                // the wait short.
                try
                {
                    await Task.Delay(_options.FlushInterval, _time, _draining.Token);
                }
                catch (OperationCanceledException)
                {
                    // Draining: write now.
                }
            }

            // Everything queued so far (up to batch_size) goes in one transaction; what arrives while it is
            // written makes the next batch.
            var flushes = 0;
            while (batch.Count < _options.BatchSize && _overflow.TryDequeue(out var compact))
            {
                Interlocked.Decrement(ref _overflowCount);
                batch.Add(_estimator.Complete(compact));
            }

            while (batch.Count < _options.BatchSize && reader.TryRead(out var trace))
            {
                if (ReferenceEquals(trace, FlushMarker))
                {
                    flushes++;
                    break;
                }

                batch.Add(_estimator.Complete(trace));
            }

            await WriteOrJournalAsync(batch);
            batch = new List<TraceRecord>(_options.BatchSize);
            for (var i = 0; i < flushes; i++)
            {
                if (_flushWaiters.TryDequeue(out var waiter))
                {
                    waiter.TrySetResult();
                }
            }

            if (!more && reader.Completion.IsCompleted && _overflow.IsEmpty)
            {
                return;
            }
        }
    }

    /// <summary>True when a trace is there; false after a quiet second (a chance to replay the journal) or at the end.</summary>
    private async Task<bool> WaitAsync(ChannelReader<TraceRecord> reader)
    {
        if (reader.TryPeek(out _) || !_overflow.IsEmpty)
        {
            return true;
        }

        using var idle = new CancellationTokenSource(IdleCheck, _time);
        try
        {
            return await reader.WaitToReadAsync(idle.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task WriteOrJournalAsync(List<TraceRecord> batch)
    {
        var now = _time.GetTimestamp();
        if (_storeDown && now < Interlocked.Read(ref _retryAt) || _stopping.IsCancellationRequested)
        {
            Spill(batch);
            return;
        }

        if (batch.Count == 0 && !Journal.HasPending && _migrated)
        {
            return;
        }

        try
        {
            using (var migration = Timeout())
            {
                await EnsureMigratedAsync(migration.Token);
            }

            if (Journal.HasPending)
            {
                await Journal.ReplayAsync(WriteAsync, _options.BatchSize);
                Log.JournalReplayed(_logger, Store.Kind);
            }

            await WriteAsync(batch);
            if (_storeDown)
            {
                _storeDown = false;
                Log.StoreBack(_logger, Store.Kind);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            if (!_storeDown)
            {
                Log.StoreFailed(_logger, Store.Kind, exception.GetType().Name, Scrub(exception.Message), Journal.DirectoryPath);
            }

            _storeDown = true;
            Interlocked.Exchange(ref _retryAt, _time.GetTimestamp() + (long)(_options.RetryInterval.TotalSeconds * _time.TimestampFrequency));
            Spill(batch);
        }
    }

    private async Task WriteAsync(IReadOnlyList<TraceRecord> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        using var timeout = Timeout();
        await Store.WriteAsync(batch, timeout.Token);
        _written.Add(batch.Count);
    }

    private CancellationTokenSource Timeout()
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_options.WriteTimeout);
        return timeout;
    }

    private void Spill(List<TraceRecord> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            Journal.Append(batch);
            _journaled.Add(batch.Count);
            Interlocked.Add(ref _journaledTotal, batch.Count);
        }
        catch (IOException exception)
        {
            // Neither the store nor the disk takes it: say so loudly; nothing else can be done with it.
            Log.JournalFailed(_logger, batch.Count, Journal.DirectoryPath, exception.Message);
        }
    }

    /// <summary>Connection errors can quote the connection string; the password must never reach the log.</summary>
    private static string Scrub(string message) =>
        System.Text.RegularExpressions.Regex.Replace(message, @"(?i)(password|pwd)\s*=\s*[^;\s]*", "$1=***");
}
