using Gateway.Tests.Support;

namespace Gateway.Tests.Architecture;

/// <summary>One job per file: no hand-written C# file over 400 lines (CONVENTIONS.md, "Shape").</summary>
public sealed class FileSizeTests
{
    private const int MaxLines = 400;

    [Fact]
    public void No_hand_written_file_is_over_400_lines()
    {
        var over = new[] { "src", "tests", "loadtests" }
            .SelectMany(folder => Directory.EnumerateFiles(Repository.File(folder), "*.cs", SearchOption.AllDirectories))
            .Where(file => !file.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "node_modules"))
            .Select(file => (File: Path.GetRelativePath(Repository.Root, file), Lines: File.ReadLines(file).Count()))
            .Where(f => f.Lines > MaxLines)
            .Select(f => $"{f.File} ({f.Lines} lines)")
            .ToArray();

        Assert.True(over.Length == 0, "split by concern (partial files named by concern, or smaller types): " + string.Join(", ", over));
    }
}
