using System.Data;
using System.Data.Common;

namespace Gateway.Tracking.Store;

/// <summary>
/// The store's SQL, shared by SQLite and PostgreSQL: the same tables, the same queries. Each engine says how
/// it connects, how it serialises migrations between replicas, and how it sends a batch of statements.
/// Timestamps are Unix microseconds and costs nano-USD, as integers, so both engines sum them exactly.
/// </summary>
internal abstract partial class SqlTraceStore : ITraceStore
{
    public abstract string Kind { get; }

    public abstract ValueTask DisposeAsync();

    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    /// <param name="type">Needed for a null that is not text: PostgreSQL won't put a text null in a number column.</param>
    protected static void Add(DbCommand command, string name, object? value, DbType? type = null)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        parameter.DbType = type ?? value switch
        {
            long => DbType.Int64,
            int => DbType.Int32,
            double => DbType.Double,
            _ => DbType.String,
        };
        command.Parameters.Add(parameter);
    }

    /// <summary>Groups as one searchable text: ",a,b," (sorted), "" for none.</summary>
    public static string GroupsText(IReadOnlyList<string> groups) =>
        groups.Count == 0 ? "" : "," + string.Join(",", groups.Order(StringComparer.Ordinal)) + ",";

    public static IReadOnlyList<string> ParseGroups(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries);
}
