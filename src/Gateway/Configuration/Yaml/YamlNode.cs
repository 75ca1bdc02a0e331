namespace Gateway.Configuration.Yaml;

/// <summary>A position in a YAML file, 1-based, as editors show it.</summary>
internal readonly record struct SourcePosition(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>
/// A minimal YAML tree that keeps the position of every node. We build our own instead of using
/// YamlDotNet's representation model so duplicate keys become validation errors (collected with
/// the rest) rather than an exception that stops at the first one.
/// </summary>
internal abstract record YamlNode(SourcePosition Position);

internal sealed record YamlScalar(SourcePosition Position, string Value, bool IsPlain) : YamlNode(Position)
{
    /// <summary>A plain `~`, `null` or empty scalar: YAML's null. A quoted "null" is a string.</summary>
    public bool IsNull => IsPlain && (Value.Length == 0 || Value is "~" or "null" or "Null" or "NULL");
}

internal sealed record YamlSequence(SourcePosition Position, IReadOnlyList<YamlNode> Items) : YamlNode(Position);

internal sealed record YamlMapping(SourcePosition Position, IReadOnlyList<YamlEntry> Entries) : YamlNode(Position);

internal sealed record YamlEntry(YamlScalar Key, YamlNode Value);
