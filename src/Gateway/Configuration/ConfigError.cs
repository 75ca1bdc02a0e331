using Gateway.Configuration.Yaml;

namespace Gateway.Configuration;

/// <summary>One problem in a configuration file: where, which key, and what is wrong.</summary>
/// <param name="Path">The key path, such as <c>endpoints.chat.targets[1].provider</c>; empty for the whole file.</param>
internal sealed record ConfigError(SourcePosition Position, string Path, string Message)
{
    public string Format(string file) =>
        Path.Length == 0 ? $"{file}:{Position}: {Message}" : $"{file}:{Position}: {Path}: {Message}";
}
