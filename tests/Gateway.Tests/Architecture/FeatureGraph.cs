using System.Text.RegularExpressions;

namespace Gateway.Tests.Architecture;

/// <summary>
/// Which feature folders of src/Gateway each folder's code names, read from the source: `using Gateway.X`, and
/// `Gateway.X.` or `X.` qualifications (comments and string literals left out). An edge carries the files that make it.
/// </summary>
internal sealed partial class FeatureGraph
{
    private readonly Dictionary<string, Dictionary<string, SortedSet<string>>> _edges = new(StringComparer.Ordinal);

    public FeatureGraph(IReadOnlyCollection<string> features) => Features = features;

    public IReadOnlyCollection<string> Features { get; }

    public static FeatureGraph Read(string sourceRoot)
    {
        var features = Directory.GetDirectories(sourceRoot).Select(Path.GetFileName).Where(n => n is not ("bin" or "obj")).Select(n => n!).ToArray();
        var graph = new FeatureGraph(features);
        foreach (var feature in features)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(sourceRoot, feature), "*.cs", SearchOption.AllDirectories))
            {
                graph.Add(feature, Path.GetRelativePath(sourceRoot, file), File.ReadAllText(file));
            }
        }

        return graph;
    }

    public void Add(string feature, string file, string source)
    {
        var code = Strip(source);
        foreach (var used in UsingDirective().Matches(code).Concat(Qualified().Matches(code)).Select(m => m.Groups["feature"].Value))
        {
            if (used != feature && Features.Contains(used))
            {
                var from = _edges.TryGetValue(feature, out var existing) ? existing : _edges[feature] = new(StringComparer.Ordinal);
                (from.TryGetValue(used, out var files) ? files : from[used] = new(StringComparer.Ordinal)).Add(file);
            }
        }
    }

    public IEnumerable<string> DependenciesOf(string feature) => _edges.TryGetValue(feature, out var to) ? to.Keys : [];

    public IEnumerable<string> FilesOf(string from, string to) => _edges.TryGetValue(from, out var edges) && edges.TryGetValue(to, out var files) ? files : [];

    /// <summary>A path of folders that leads back to its start, or null when the folders depend one way.</summary>
    public IReadOnlyList<string>? FindCycle()
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1: on the path, 2: done
        var path = new List<string>();
        foreach (var start in Features.Order(StringComparer.Ordinal))
        {
            if (Visit(start) is { } cycle)
            {
                return cycle;
            }
        }

        return null;

        List<string>? Visit(string node)
        {
            if (state.GetValueOrDefault(node) == 2)
            {
                return null;
            }

            if (state.GetValueOrDefault(node) == 1)
            {
                return [.. path.Skip(path.IndexOf(node)), node];
            }

            state[node] = 1;
            path.Add(node);
            foreach (var next in DependenciesOf(node).Order(StringComparer.Ordinal))
            {
                if (Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
    }

    private static string Strip(string source)
    {
        var code = LineComment().Replace(source, "");
        code = BlockComment().Replace(code, "");
        code = RawString().Replace(code, "\"\"");
        code = VerbatimString().Replace(code, "\"\"");
        return PlainString().Replace(code, "\"\"");
    }

    [GeneratedRegex(@"\busing\s+Gateway\.(?<feature>[A-Z][A-Za-z]+)")]
    private static partial Regex UsingDirective();

    // Gateway.X.Y, or X.Y from inside namespace Gateway (not a member access such as context.Guardrails.For).
    [GeneratedRegex(@"(?<![\w.])(?:Gateway\.)?(?<feature>[A-Z][A-Za-z]+)\.[A-Z]")]
    private static partial Regex Qualified();

    [GeneratedRegex(@"//[^\n]*")]
    private static partial Regex LineComment();

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex BlockComment();

    [GeneratedRegex("\"\"\"[\\s\\S]*?\"\"\"")]
    private static partial Regex RawString();

    [GeneratedRegex("@\"(?:[^\"]|\"\")*\"")]
    private static partial Regex VerbatimString();

    [GeneratedRegex("\\$?\"(?:[^\"\\\\\\n]|\\\\.)*\"")]
    private static partial Regex PlainString();
}
