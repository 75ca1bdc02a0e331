using System.Data.Common;
using Npgsql;

namespace Gateway.Tracking.Store;

/// <summary>
/// The shared store for many replicas: PostgreSQL through one pooled <see cref="NpgsqlDataSource"/>. A batch is
/// one transaction and one round trip per statement kind (Npgsql batches), so a replica writes thousands of
/// traces a second over a single connection.
/// </summary>
internal sealed class PostgresTraceStore(NpgsqlDataSource dataSource) : SqlTraceStore
{
    // Any fixed number: replicas starting together take this lock, so only one migrates at a time.
    private const long MigrationLockId = 0x6761746577617931;

    public override string Kind => "postgres";

    /// <summary>postgres://user:password@host:port/database?sslmode=require as an Npgsql connection string.</summary>
    public static PostgresTraceStore FromUrl(string url)
    {
        var uri = new Uri(url);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port > 0 ? uri.Port : 5432,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } database ? database : "postgres",
            ApplicationName = "ai-gateway",
            // Bounded waits: a store that hangs sends batches to the journal rather than holding the writer.
            Timeout = 5,
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = pair.Split('=', 2) is [var n, var v] ? (n, Uri.UnescapeDataString(v)) : (pair, "");
            builder[name.Replace('_', ' ')] = value; // sslmode=require, search_path=…, pooling options
        }

        return new PostgresTraceStore(NpgsqlDataSource.Create(builder));
    }

    public override ValueTask DisposeAsync() => dataSource.DisposeAsync();

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken);

    protected override async Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = Command(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLockId})");
        await command.ExecuteNonQueryAsync(cancellationToken);
        return transaction;
    }

    protected override async Task<IReadOnlyList<TraceRecord>> InsertTracesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<TraceRecord> batch, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlBatch((NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        foreach (var trace in batch)
        {
            var insert = new NpgsqlBatchCommand(InsertTraceSql);
            AddTrace(insert, trace);
            command.BatchCommands.Add(insert);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
        var inserted = new List<TraceRecord>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (command.BatchCommands[i].RecordsAffected == 1)
            {
                inserted.Add(batch[i]);
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

        await using var command = new NpgsqlBatch((NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        foreach (var (key, totals) in rollups)
        {
            var upsert = new NpgsqlBatchCommand(UpsertRollupSql);
            AddRollup(upsert, key, totals);
            command.BatchCommands.Add(upsert);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
