using System.Data.Common;

namespace Gateway.Tracking.Store;

internal abstract partial class SqlTraceStore
{
    /// <summary>Every schema version, in order; the store records the highest it applied.</summary>
    protected static readonly string[] Migrations =
    [
        """
        CREATE TABLE traces (
            request_id        TEXT PRIMARY KEY,
            trace_id          TEXT NOT NULL,
            span_id           TEXT NOT NULL,
            parent_span_id    TEXT,
            started_at_us     BIGINT NOT NULL,
            duration_ms       DOUBLE PRECISION NOT NULL,
            state             TEXT NOT NULL,
            status_code       INTEGER NOT NULL,
            operation         TEXT NOT NULL,
            stream            INTEGER NOT NULL,
            endpoint          TEXT,
            user_name         TEXT,
            groups            TEXT NOT NULL,
            key_id            TEXT,
            provider          TEXT,
            model             TEXT,
            attempts          INTEGER NOT NULL,
            prompt_tokens     BIGINT NOT NULL,
            completion_tokens BIGINT NOT NULL,
            cached_tokens     BIGINT NOT NULL,
            reasoning_tokens  BIGINT NOT NULL,
            usage_estimated   INTEGER NOT NULL,
            cost_nusd         BIGINT NOT NULL,
            priced            INTEGER NOT NULL,
            ttft_ms           DOUBLE PRECISION,
            error_code        TEXT,
            error_message     TEXT,
            request_body      TEXT,
            response_body     TEXT,
            spans             TEXT NOT NULL
        );
        CREATE INDEX traces_by_time ON traces (started_at_us, request_id);
        CREATE INDEX traces_by_trace_id ON traces (trace_id);
        CREATE INDEX traces_by_user ON traces (user_name, started_at_us);
        CREATE TABLE usage_hourly (
            hour_start         BIGINT NOT NULL,
            endpoint           TEXT NOT NULL,
            user_name          TEXT NOT NULL,
            key_id             TEXT NOT NULL,
            groups             TEXT NOT NULL,
            provider           TEXT NOT NULL,
            model              TEXT NOT NULL,
            requests           BIGINT NOT NULL,
            errors             BIGINT NOT NULL,
            prompt_tokens      BIGINT NOT NULL,
            completion_tokens  BIGINT NOT NULL,
            cached_tokens      BIGINT NOT NULL,
            reasoning_tokens   BIGINT NOT NULL,
            estimated_requests BIGINT NOT NULL,
            cost_nusd          BIGINT NOT NULL,
            PRIMARY KEY (hour_start, endpoint, user_name, key_id, groups, provider, model)
        );
        """,
        // Spans and bodies packed (TracePacking): new rows leave request_body, response_body empty and spans ''.
        """
        ALTER TABLE traces ADD COLUMN spans_packed BLOB;
        ALTER TABLE traces ADD COLUMN bodies_packed BLOB;
        """,
    ];

    /// <summary>A migration in this engine's dialect (the scripts are written in SQLite's; PostgreSQL says BYTEA for BLOB).</summary>
    protected virtual string Dialect(string migration) => migration;

    /// <summary>The newest schema version this build knows.</summary>
    public static int SchemaVersion => Migrations.Length;

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await BeginMigrationAsync(connection, cancellationToken);
        await ExecuteAsync(connection, transaction, "CREATE TABLE IF NOT EXISTS gateway_schema (version INTEGER NOT NULL)", cancellationToken);
        await using var read = Command(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM gateway_schema");
        var current = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        if (current > Migrations.Length)
        {
            throw new InvalidOperationException(
                $"the {Kind} tracking store has schema version {current}, newer than this gateway knows ({Migrations.Length}); run a newer gateway");
        }

        for (var version = current + 1; version <= Migrations.Length; version++)
        {
            await ExecuteAsync(connection, transaction, Dialect(Migrations[version - 1]), cancellationToken);
            await using var record = Command(connection, transaction, "INSERT INTO gateway_schema (version) VALUES (@version)");
            Add(record, "version", version);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A transaction that only one replica at a time holds while migrating.</summary>
    protected abstract Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken);

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
