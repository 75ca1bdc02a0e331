using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Gateway.Configuration.Yaml;

/// <summary>Reads YAML text into <see cref="YamlNode"/>s, reporting problems instead of throwing.</summary>
internal static class YamlTreeReader
{
    public static YamlNode? Read(string text, ICollection<ConfigError> errors)
    {
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                errors.Add(new ConfigError(new SourcePosition(1, 1), "", "the file is empty"));
                return null;
            }

            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, anchors, errors);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var second))
            {
                errors.Add(new ConfigError(ToPosition(second.Start), "", "only one YAML document is allowed; remove the second '---'"));
            }

            return root;
        }
        catch (YamlException ex)
        {
            errors.Add(new ConfigError(ToPosition(ex.Start), "", "YAML syntax error: " + FirstSentence(ex.Message)));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this (not a YamlException) on some unterminated flow collections.
            var at = parser.Current is { } last ? ToPosition(last.Start) : new SourcePosition(1, 1);
            errors.Add(new ConfigError(at, "", "YAML syntax error: the text after this point cannot be read; is a '[' or '{' left unclosed?"));
            return null;
        }
    }

    private static YamlNode ReadNode(IParser parser, Dictionary<string, YamlNode> anchors, ICollection<ConfigError> errors)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (anchors.TryGetValue(alias.Value.Value, out var target))
            {
                return target;
            }

            errors.Add(new ConfigError(ToPosition(alias.Start), "", $"unknown alias '*{alias.Value.Value}'"));
            return new YamlScalar(ToPosition(alias.Start), "", IsPlain: true);
        }

        YamlNode node;
        string? anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            node = new YamlScalar(ToPosition(scalar.Start), scalar.Value, scalar.Style is ScalarStyle.Plain or ScalarStyle.Any);
            anchor = scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value;
        }
        else if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            var items = new List<YamlNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadNode(parser, anchors, errors));
            }

            node = new YamlSequence(ToPosition(sequenceStart.Start), items);
            anchor = sequenceStart.Anchor.IsEmpty ? null : sequenceStart.Anchor.Value;
        }
        else
        {
            var mappingStart = parser.Consume<MappingStart>();
            var entries = new List<YamlEntry>();
            var seen = new Dictionary<string, SourcePosition>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyNode = ReadNode(parser, anchors, errors);
                var value = ReadNode(parser, anchors, errors);
                if (keyNode is not YamlScalar key)
                {
                    errors.Add(new ConfigError(keyNode.Position, "", "a mapping key must be a plain value, not a list or mapping"));
                    continue;
                }

                if (seen.TryGetValue(key.Value, out var first))
                {
                    errors.Add(new ConfigError(key.Position, "", $"duplicate key '{key.Value}' (first defined at line {first.Line})"));
                    continue;
                }

                seen.Add(key.Value, key.Position);
                entries.Add(new YamlEntry(key, value));
            }

            node = new YamlMapping(ToPosition(mappingStart.Start), entries);
            anchor = mappingStart.Anchor.IsEmpty ? null : mappingStart.Anchor.Value;
        }

        if (anchor is not null)
        {
            anchors[anchor] = node;
        }

        return node;
    }

    private static SourcePosition ToPosition(Mark mark) => new((int)mark.Line, (int)mark.Column);

    // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: 20) - (...): "; we print our own position.
    private static string FirstSentence(string message)
    {
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 ? message[(cut + 3)..] : message;
    }
}
