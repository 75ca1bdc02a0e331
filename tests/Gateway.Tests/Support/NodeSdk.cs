using System.Diagnostics;
using System.Text.Json;

namespace Gateway.Tests.Support;

/// <summary>
/// Runs a script from tests/SdkHonesty, where official provider SDKs from npm drive a fake; the script prints
/// one JSON object. test.sh installs the packages (npm ci).
/// </summary>
internal static class NodeSdk
{
    public static async Task<JsonElement> RunAsync(string script, IReadOnlyDictionary<string, string> environment)
    {
        var directory = Repository.File("tests/SdkHonesty");
        if (!Directory.Exists(Path.Combine(directory, "node_modules")))
        {
            throw new InvalidOperationException("tests/SdkHonesty/node_modules is missing: run ./test.sh, or npm ci in tests/SdkHonesty");
        }

        var start = new ProcessStartInfo("node", script)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(GatewayHost.Bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish within {GatewayHost.Bound}; stderr: {await errors}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"node {script} exited with {process.ExitCode}: {await errors}");
        }

        return JsonDocument.Parse(await output).RootElement.Clone();
    }
}
