using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Gateway.Tracking.Store;

/// <summary>The embedded store: one SQLite file in WAL mode (readers such as the usage CLI never block the writer).</summary>
internal sealed class SqliteTraceStore : SqlTraceStore
{
    private readonly string _connectionString;

    public SqliteTraceStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    public override string Kind => "sqlite";

    public string Path { get; }

    public override ValueTask DisposeAsync()
    {
        // Pooled connections keep the file (and its WAL) open; let it go with the store.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        // WAL: readers and the writer don't block each other. NORMAL: in WAL mode a commit survives a crash of
        // the process; only a power loss may lose the last commits, which the journal cannot cover either.
        pragma.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    protected override async Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // IMMEDIATE takes the write lock at once: two processes on one file migrate one after the other.
        (DbTransaction)await ((SqliteConnection)connection).BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken);

    protected override async Task<IReadOnlyList<TraceRecord>> InsertTracesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<TraceRecord> batch, CancellationToken cancellationToken)
    {
        var inserted = new List<TraceRecord>(batch.Count);
        await using var command = Command(connection, transaction, InsertTraceSql);
        foreach (var trace in batch)
        {
            command.Parameters.Clear();
            AddTrace(command, trace);
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                inserted.Add(trace);
            }
        }

        return inserted;
    }

    protected override async Task UpsertRollupsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<(RollupKey Key, RollupTotals Totals)> rollups, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, UpsertRollupSql);
        foreach (var (key, totals) in rollups)
        {
            command.Parameters.Clear();
            AddRollup(command, key, totals);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
