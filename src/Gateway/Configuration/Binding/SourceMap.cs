using Gateway.Configuration.Yaml;

namespace Gateway.Configuration.Binding;

/// <summary>Where each key path was written, so validation can name the line of any value.</summary>
internal sealed class SourceMap
{
    private readonly Dictionary<string, SourcePosition> _positions = new(StringComparer.Ordinal);

    public void Add(string path, SourcePosition position) => _positions.TryAdd(path, position);

    /// <summary>Whether the file wrote this exact key (as opposed to the config taking a default).</summary>
    public bool Contains(string path) => _positions.ContainsKey(path);

    /// <summary>The position of the path, or of its nearest written ancestor when the key is absent.</summary>
    public SourcePosition Find(string path)
    {
        while (true)
        {
            if (_positions.TryGetValue(path, out var position))
            {
                return position;
            }

            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            if (cut <= 0)
            {
                return _positions.TryGetValue("", out var root) ? root : new SourcePosition(1, 1);
            }

            path = path[..cut];
        }
    }
}
