using System.Globalization;

namespace LoadTests.Runner.Processes;

/// <summary>CPU time and resident memory of a process and all its descendants, read from /proc.</summary>
internal static class ProcessTree
{
    // USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux build that matters here.
    private const double TicksPerSecond = 100;

    public static IReadOnlyList<int> Members(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && TryReadStat(pid, out var stat))
            {
                parents[pid] = stat.ParentPid;
            }
        }

        var members = new List<int> { root };
        for (var i = 0; i < members.Count; i++)
        {
            members.AddRange(parents.Where(p => p.Value == members[i]).Select(p => p.Key));
        }

        return members;
    }

    public static double CpuSeconds(int root) =>
        Members(root).Sum(pid => TryReadStat(pid, out var stat) ? (stat.UserTicks + stat.SystemTicks) / TicksPerSecond : 0);

    public static double ResidentMegabytes(int root) => Members(root).Sum(ResidentKilobytes) / 1024.0;

    private static long ResidentKilobytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // The process ended between listing and reading.
        }

        return 0;
    }

    private static bool TryReadStat(int pid, out (int ParentPid, long UserTicks, long SystemTicks) stat)
    {
        stat = default;
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }

        // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' are fixed.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        stat = (int.Parse(fields[1], CultureInfo.InvariantCulture),
                long.Parse(fields[11], CultureInfo.InvariantCulture),
                long.Parse(fields[12], CultureInfo.InvariantCulture));
        return true;
    }
}
