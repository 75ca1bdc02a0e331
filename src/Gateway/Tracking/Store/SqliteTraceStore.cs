using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Gateway.Tracking.Store;

/// <summary>The embedded store: one SQLite file in WAL mode (readers such as the usage CLI never block the writer).</summary>
internal sealed class SqliteTraceStore : SqlTraceStore
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    // The writer keeps one connection and its two statements prepared: per batch, only values change.
    private SqliteConnection? _writer;
    private SqliteCommand? _insert;
    private SqliteCommand? _upsert;

    private const string InsertTraceSql = """
        INSERT INTO traces (request_id, trace_id, span_id, parent_span_id, started_at_us, duration_ms, state, status_code, operation, stream,
            endpoint, user_name, groups, key_id, provider, model, attempts, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens,
            usage_estimated, cost_nusd, priced, ttft_ms, error_code, error_message, spans, spans_packed, bodies_packed)
        VALUES (@request_id, @trace_id, @span_id, @parent_span_id, @started_at_us, @duration_ms, @state, @status_code, @operation, @stream,
            @endpoint, @user_name, @groups, @key_id, @provider, @model, @attempts, @prompt_tokens, @completion_tokens, @cached_tokens, @reasoning_tokens,
            @usage_estimated, @cost_nusd, @priced, @ttft_ms, @error_code, @error_message, @spans, @spans_packed, @bodies_packed)
        ON CONFLICT (request_id) DO NOTHING
        """;

    private const string UpsertRollupSql = """
        INSERT INTO usage_hourly (hour_start, endpoint, user_name, key_id, groups, provider, model,
            requests, errors, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, estimated_requests, cost_nusd)
        VALUES (@hour_start, @endpoint, @user_name, @key_id, @groups, @provider, @model,
            @requests, @errors, @prompt_tokens, @completion_tokens, @cached_tokens, @reasoning_tokens, @estimated_requests, @cost_nusd)

        """ + AddToRollup;

    public SqliteTraceStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    public override string Kind => "sqlite";

    public string Path { get; }

    public override async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            await CloseWriterAsync();
        }
        finally
        {
            _writeLock.Release();
        }

        // Pooled connections keep the file (and its WAL) open; let it go with the store.
        await using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    protected override async Task<DbConnection> AcquireWriterAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            return _writer ??= (SqliteConnection)await OpenAsync(cancellationToken);
        }
        catch
        {
            _writeLock.Release();
            throw;
        }
    }

    protected override async ValueTask ReleaseWriterAsync(DbConnection connection, bool failed)
    {
        if (failed)
        {
            await CloseWriterAsync(); // a fresh connection next time
        }

        _writeLock.Release();
    }

    private async ValueTask CloseWriterAsync()
    {
        if (_insert is not null)
        {
            await _insert.DisposeAsync();
        }

        if (_upsert is not null)
        {
            await _upsert.DisposeAsync();
        }

        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }

        (_insert, _upsert, _writer) = (null, null, null);
    }

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        // WAL: readers and the writer don't block each other. NORMAL: in WAL mode a commit survives a crash of
        // the process; only a power loss may lose the last commits, which the journal cannot cover either.
        // 16 KB pages (a new file only; an existing one keeps its own): a traced row is about 1.4 KB, and 4 KB
        // pages fit two of them with a tenth of the page left empty.
        pragma.CommandText = "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    protected override async Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // IMMEDIATE takes the write lock at once: two processes on one file migrate one after the other.
        (DbTransaction)await ((SqliteConnection)connection).BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken);

    protected override async Task<IReadOnlyList<TraceRecord>> InsertTracesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<TraceRecord> batch, CancellationToken cancellationToken)
    {
        var inserted = new List<TraceRecord>(batch.Count);
        if (_insert is null)
        {
            _insert = (SqliteCommand)Command(connection, transaction, InsertTraceSql);
            AddTrace(_insert, batch[0]);
            _insert.Prepare();
        }

        var command = _insert;
        command.Transaction = (SqliteTransaction)transaction;
        foreach (var trace in batch)
        {
            SetTrace(command, trace);
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                inserted.Add(trace);
            }
        }

        return inserted;
    }

    protected override async Task UpsertRollupsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<(RollupKey Key, RollupTotals Totals)> rollups, CancellationToken cancellationToken)
    {
        if (rollups.Count == 0)
        {
            return;
        }

        if (_upsert is null)
        {
            _upsert = (SqliteCommand)Command(connection, transaction, UpsertRollupSql);
            AddRollup(_upsert, rollups[0].Key, rollups[0].Totals);
            _upsert.Prepare();
        }

        var command = _upsert;
        command.Transaction = (SqliteTransaction)transaction;
        foreach (var (key, totals) in rollups)
        {
            SetRollup(command, key, totals);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
