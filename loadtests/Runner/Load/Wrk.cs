using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace LoadTests.Runner.Load;

/// <summary>Runs wrk (a closed-loop load generator written in C, light on the shared cores) with loadtests/wrk/post.lua.</summary>
internal sealed class Wrk(string script)
{
    public async Task<WrkResult> RunAsync(Uri url, string bodyFile, IReadOnlyDictionary<string, string> headers,
        int connections, TimeSpan duration, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("wrk")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "-t1", $"-c{connections}", $"-d{Math.Max(1, (int)duration.TotalSeconds)}s", "--timeout", "10s", "-s", script, url.ToString(),
        })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["BODY_FILE"] = bodyFile;
        info.Environment["HEADERS"] = string.Join('|', headers.Select(h => $"{h.Key}: {h.Value}"));
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start wrk");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);

        // wrk stops itself after -d; the margin covers start-up and its final 10 s request timeout.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(duration + TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"wrk against {url} did not finish in time");
        }

        return Parse(await stdout, await stderr, process.ExitCode);
    }

    internal static WrkResult Parse(string stdout, string stderr, int exitCode)
    {
        var summary = stdout.Split('\n').LastOrDefault(line => line.StartsWith('{'));
        if (exitCode != 0 || summary is null)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"wrk exited with {exitCode} and no summary: {stderr.Trim()} {stdout.Trim()}"));
        }

        return JsonSerializer.Deserialize<WrkResult>(summary) ?? throw new InvalidOperationException("empty wrk summary");
    }
}
