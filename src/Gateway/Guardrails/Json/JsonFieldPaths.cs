using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Gateway.Guardrails.Json;

/// <summary>A value found at one of the paths: where its token is in the JSON, and its text when it is a string.</summary>
/// <param name="Pattern">Which path it matched (its position in the list given).</param>
/// <param name="Location">The path with its array positions, as the trace names it: messages[1].content[0].text.</param>
/// <param name="TokenStart">Byte offset of the value's token (a string's opening quote).</param>
/// <param name="TokenLength">Bytes of the token, quotes included.</param>
/// <param name="Value">The decoded string; null for a number, true, false or null.</param>
/// <param name="Index0">The first array position on the path (a choice's "index" when it has one); -1 when none.</param>
/// <param name="Index1">The second array position on the path (a tool call's "index" when it has one); -1 when none.</param>
internal readonly record struct JsonField(int Pattern, string Location, int TokenStart, int TokenLength, string? Value, int Index0, int Index1);

/// <summary>
/// Finds the scalar values at a few paths of a JSON document (such as <c>messages[].content[].text</c>) in one
/// forward pass with <see cref="Utf8JsonReader"/>, skipping every subtree no path goes into, so a body's other
/// parts (tool schemas, images, parameters) cost only the skip. Where an array's objects carry an "index"
/// property (a stream's choices and tool calls), the location uses it rather than the position.
/// </summary>
internal sealed class JsonFieldPaths
{
    private readonly string?[][] _patterns; // a null segment is "any array element"

    public JsonFieldPaths(params string[] patterns)
    {
        _patterns = [.. patterns.Select(Parse)];
    }

    /// <summary>Adds the values at the paths to <paramref name="found"/>, in document order. Throws JsonException for JSON that does not parse.</summary>
    public void Find(ReadOnlySpan<byte> json, List<JsonField> found)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read())
        {
            return;
        }

        var path = new List<Segment>(8);
        Walk(ref reader, path, found);
    }

    private void Walk(ref Utf8JsonReader reader, List<Segment> path, List<JsonField> found)
    {
        var (prefix, full) = Match(path);
        if (!prefix)
        {
            reader.Skip();
            return;
        }

        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                WalkObject(ref reader, path, found);
                return;
            case JsonTokenType.StartArray:
                var position = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    path.Add(new Segment(null, position++));
                    Walk(ref reader, path, found);
                    path.RemoveAt(path.Count - 1);
                }

                return;
            default:
                if (full >= 0)
                {
                    var isString = reader.TokenType == JsonTokenType.String;
                    var length = reader.ValueSpan.Length + (isString ? 2 : 0);
                    var (index0, index1) = Indexes(path);
                    found.Add(new JsonField(full, Location(path), (int)reader.TokenStartIndex, length, isString ? reader.GetString() : null, index0, index1));
                }

                return;
        }
    }

    private void WalkObject(ref Utf8JsonReader reader, List<Segment> path, List<JsonField> found)
    {
        var isElement = path.Count > 0 && path[^1].Name is null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (isElement && reader.ValueTextEquals("index"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var index))
                {
                    path[^1] = new Segment(null, index);
                }

                continue;
            }

            var name = NextName(ref reader, path);
            reader.Read();
            if (name is null)
            {
                reader.Skip();
                continue;
            }

            path.Add(new Segment(name, 0));
            Walk(ref reader, path, found);
            path.RemoveAt(path.Count - 1);
        }
    }

    /// <summary>The path segment this property name is, when some path goes on through it; null otherwise.</summary>
    private string? NextName(ref Utf8JsonReader reader, List<Segment> path)
    {
        foreach (var pattern in _patterns)
        {
            if (pattern.Length > path.Count && pattern[path.Count] is { } name && IsPrefix(pattern, path) && reader.ValueTextEquals(name))
            {
                return name;
            }
        }

        return null;
    }

    private (bool Prefix, int Full) Match(List<Segment> path)
    {
        var prefix = false;
        for (var p = 0; p < _patterns.Length; p++)
        {
            if (_patterns[p].Length >= path.Count && IsPrefix(_patterns[p], path))
            {
                if (_patterns[p].Length == path.Count)
                {
                    return (true, p);
                }

                prefix = true;
            }
        }

        return (prefix, -1);
    }

    private static bool IsPrefix(string?[] pattern, List<Segment> path)
    {
        for (var i = 0; i < path.Count; i++)
        {
            if (!string.Equals(pattern[i], path[i].Name, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static (int, int) Indexes(List<Segment> path)
    {
        int first = -1, second = -1;
        foreach (var segment in path)
        {
            if (segment.Name is null)
            {
                if (first < 0)
                {
                    first = segment.Index;
                }
                else if (second < 0)
                {
                    second = segment.Index;
                }
            }
        }

        return (first, second);
    }

    private static string Location(List<Segment> path)
    {
        if (path.Count == 1 && path[0].Name is { } name)
        {
            return name; // a top-level property: the pattern's own string, nothing to build
        }

        var location = new DefaultInterpolatedStringHandler(0, path.Count * 2, CultureInfo.InvariantCulture, stackalloc char[128]);
        for (var i = 0; i < path.Count; i++)
        {
            if (path[i].Name is { } segment)
            {
                if (i > 0)
                {
                    location.AppendLiteral(".");
                }

                location.AppendLiteral(segment);
            }
            else
            {
                location.AppendLiteral("[");
                location.AppendFormatted(path[i].Index);
                location.AppendLiteral("]");
            }
        }

        return location.ToStringAndClear();
    }

    private static string?[] Parse(string pattern)
    {
        var segments = new List<string?>();
        foreach (var part in pattern.Split('.'))
        {
            var name = part;
            var arrays = 0;
            while (name.EndsWith("[]", StringComparison.Ordinal))
            {
                name = name[..^2];
                arrays++;
            }

            segments.Add(name);
            for (var i = 0; i < arrays; i++)
            {
                segments.Add(null);
            }
        }

        return [.. segments];
    }

    private readonly record struct Segment(string? Name, int Index);
}
