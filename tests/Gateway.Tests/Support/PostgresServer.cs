using System.Diagnostics;
using Npgsql;

namespace Gateway.Tests.Support;

/// <summary>
/// A real PostgreSQL server on 127.0.0.1 and a free port, in a temp data folder, started and stopped by the
/// tests (Debian's postgresql package; test.sh installs it). PostgreSQL refuses to run as root, so as root it
/// runs as the package's postgres user. Stop and start again to simulate an outage.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gateway-pg-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _binaries = FindBinaries();
    private int _databases;

    public int Port { get; } = Ports.Free();

    public string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>A store URL for a fresh, empty database of its own.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..20];
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=gateway;Database=postgres;Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return $"postgres://gateway@127.0.0.1:{Port}/{name}";
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        if (RunningAsRoot)
        {
            await RunAsync("chown", ["postgres:postgres", _directory], asPostgres: false);
        }

        await RunAsync(Path.Combine(_binaries, "initdb"), ["-D", DataDirectory, "-U", "gateway", "--auth=trust", "--no-sync", "-E", "UTF8"], asPostgres: true);
        await StartAsync();
    }

    public Task StartAsync() => RunAsync(Path.Combine(_binaries, "pg_ctl"),
        ["-D", DataDirectory, "-l", Path.Combine(_directory, "server.log"), "-w", "-t", "60",
         "-o", $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200", "start"],
        asPostgres: true);

    /// <summary>Stops the server at once (fast shutdown: connections are cut), as an outage would.</summary>
    public Task StopAsync() => RunAsync(Path.Combine(_binaries, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "60", "stop"], asPostgres: true);

    public async Task DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_directory, recursive: true);
    }

    private static bool RunningAsRoot => Environment.UserName == "root";

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo
        {
            FileName = asPostgres && RunningAsRoot ? "runuser" : program,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres && RunningAsRoot)
        {
            foreach (var argument in new[] { "-u", "postgres", "--", program })
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Bound);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }

    private static string FindBinaries()
    {
        var versions = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "pg_ctl"))).Order().ToList()
            : [];
        return versions.LastOrDefault()
            ?? throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl); test.sh installs Debian's postgresql package");
    }
}
