using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LoadTests.Runner;
using LoadTests.Runner.Report;
using LoadTests.Runner.Systems;

var systemsOption = new Option<string>("--systems")
{
    Description = "Comma-separated systems to measure, in order (the direct call is always measured first).",
    DefaultValueFactory = _ => string.Join(',', SystemCatalog.AllIds),
};
var quickOption = new Option<bool>("--quick") { Description = "Short scenarios that check the harness works; the figures are not results." };
var outOption = new Option<string?>("--out") { Description = "Where to write <date>.md and <date>.json (default: loadtests/results)." };
var microOption = new Option<string?>("--micro") { Description = "A BenchmarkDotNet results folder whose *-report-github.md files go into the report." };
var root = new RootCommand("Measures our gateway side by side with a direct call, plain YARP, nginx and Portkey, and writes a Markdown table.")
{
    systemsOption, quickOption, outOption, microOption,
};
root.SetAction(async (parse, cancellationToken) =>
{
    var repo = FindRepoRoot();
    var quick = parse.GetValue(quickOption);
    var settings = quick ? RunSettings.Quick : new RunSettings();
    var requested = parse.GetValue(systemsOption)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    var unknown = requested.Except(SystemCatalog.AllIds).Where(id => id != SystemCatalog.DirectAgain).ToList();
    if (unknown.Count > 0)
    {
        await Console.Error.WriteLineAsync($"unknown system(s): {string.Join(", ", unknown)}; known: {string.Join(", ", SystemCatalog.AllIds)}");
        return 2;
    }

    // Everything else is reported against the direct call, so it always runs first; it runs again last
    // so the report can say how much the machine itself drifted in between (the noise floor).
    var systems = requested.Where(id => id is not (SystemCatalog.Direct or SystemCatalog.DirectAgain))
        .Prepend(SystemCatalog.Direct).Append(SystemCatalog.DirectAgain).ToList();
    var date = TimeProvider.System.GetUtcNow().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    var work = Path.Combine(repo, "loadtests/.work", date + (quick ? "-quick" : ""));
    Directory.CreateDirectory(work);
    var paths = new RunPaths(repo, work);

    using var run = new BenchmarkRun(paths, settings, Console.Out);
    var results = await run.RunAsync(systems, cancellationToken);

    var facts = new RunFacts(date, Git(repo, "rev-parse --short HEAD"), Environment.ProcessorCount, Tools.CpuModel(), Tools.MemoryGigabytes(),
        $"wrk {Tools.Version("wrk")} · nginx {Tools.Version("nginx")} · Portkey {Tools.PortkeyVersion(paths)} on Node.js {Tools.Version("node")} · .NET {Environment.Version}",
        settings, quick);
    var micro = parse.GetValue(microOption) is { } microDir && Directory.Exists(microDir)
        ? [.. Directory.GetFiles(microDir, "*-report-github.md").Order(StringComparer.Ordinal)]
        : Array.Empty<string>();
    var report = MarkdownReport.Write(facts, new Comparison(results), micro);

    var outDir = parse.GetValue(outOption) ?? Path.Combine(repo, "loadtests/results");
    Directory.CreateDirectory(outDir);
    var name = date + (quick ? "-quick" : "");
    var markdown = Path.Combine(outDir, name + ".md");
    await File.WriteAllTextAsync(markdown, report, cancellationToken);
    await File.WriteAllTextAsync(Path.Combine(outDir, name + ".json"),
        JsonSerializer.Serialize(results, new JsonSerializerOptions
        {
            WriteIndented = true,
            // A scenario with no samples has NaN percentiles; keep them rather than fail at the last step.
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        }), cancellationToken);
    Console.WriteLine($"wrote {markdown}");
    return results.Any(r => r.Problems.Count > 0) ? 1 : 0;
});
return await root.Parse(args).InvokeAsync();

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("run from inside the repository (no Gateway.sln found above the current directory)");
}

static string Git(string repo, string arguments)
{
    try
    {
        var info = new ProcessStartInfo("git", arguments) { WorkingDirectory = repo, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : "unknown";
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return "unknown";
    }
}
