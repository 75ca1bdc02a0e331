using System.Diagnostics;
using System.Text;

namespace Gateway.Tests.Support;

/// <summary>
/// The gateway as its own OS process (the gateway.dll built beside the tests), on 127.0.0.1 and a free port, as a
/// replica in a deployment is: for tests of what several replicas share.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, string directory, Uri baseUrl)
    {
        _process = process;
        _directory = directory;
        BaseUrl = baseUrl;
        Client = new HttpClient { BaseAddress = baseUrl, Timeout = GatewayHost.Bound };
    }

    public Uri BaseUrl { get; }

    public HttpClient Client { get; }

    /// <param name="yaml">gateway.yaml without a server section: the listen address is added.</param>
    public static async Task<GatewayProcess> StartAsync(string yaml)
    {
        var port = Ports.Free();
        var directory = Directory.CreateTempSubdirectory("gateway-replica-").FullName;
        var config = Path.Combine(directory, "gateway.yaml");
        await File.WriteAllTextAsync(config, $"server:\n  listen: http://127.0.0.1:{port}\n{yaml}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gateway.dll"));
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(config);
        var process = Process.Start(start)!;
        var replica = new GatewayProcess(process, directory, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => replica.Append(e.Data);
        process.ErrorDataReceived += (_, e) => replica.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await replica.WaitUntilReadyAsync();
        return replica;
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the gateway exited with {_process.ExitCode}:\n{_output}");
            }

            try
            {
                using var response = await Client.GetAsync("/readyz", timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(GatewayHost.Bound);
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
