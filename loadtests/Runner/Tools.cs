using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LoadTests.Runner;

/// <summary>Versions and facts about the machine, for the report's header.</summary>
internal static partial class Tools
{
    public static string Nginx => File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";

    public static string Version(string tool)
    {
        var (file, argument, pattern) = tool switch
        {
            "nginx" => (Nginx, "-v", NginxVersion()),
            "wrk" => ("wrk", "-v", WrkVersion()),
            "node" => ("node", "--version", NodeVersion()),
            _ => throw new ArgumentException($"no version probe for {tool}", nameof(tool)),
        };
        try
        {
            var info = new ProcessStartInfo(file, argument) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(info)!;
            var text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            var match = pattern.Match(text);
            return match.Success ? match.Groups[1].Value : "?";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "not installed";
        }
    }

    public static string PortkeyVersion(RunPaths paths)
    {
        var package = Path.Combine(paths.PortkeyDirectory, "node_modules/@portkey-ai/gateway/package.json");
        if (!File.Exists(package))
        {
            return "not installed";
        }

        using var json = JsonDocument.Parse(File.ReadAllText(package));
        return json.RootElement.GetProperty("version").GetString() ?? "?";
    }

    public static string CpuModel()
    {
        var line = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
            : null;
        return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim() ?? "unknown CPU";
    }

    public static double MemoryGigabytes()
    {
        var line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault() : null;
        var digits = line is null ? "" : new string([.. line.Where(char.IsAsciiDigit)]);
        return digits.Length == 0 ? 0 : long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture) / 1024.0 / 1024.0;
    }

    [GeneratedRegex(@"nginx/(\S+)")]
    private static partial Regex NginxVersion();

    [GeneratedRegex(@"wrk (\S+)")]
    private static partial Regex WrkVersion();

    [GeneratedRegex(@"v(\S+)")]
    private static partial Regex NodeVersion();
}
