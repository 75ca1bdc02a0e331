using System.Reflection;

namespace Gateway.Configuration;

/// <summary>Where the configuration comes from: a file on disk, or the defaults built into the binary.</summary>
internal sealed record ConfigSource(string DisplayName, string? FilePath)
{
    public const string EnvironmentVariable = "GATEWAY_CONFIG";
    public const string DefaultFileName = "gateway.yaml";

    public static ConfigSource Embedded { get; } = new("<embedded gateway.yaml>", null);

    public static ConfigSource FromFile(string path) => new(path, Path.GetFullPath(path));

    /// <summary>--config, else $GATEWAY_CONFIG, else ./gateway.yaml when present, else the embedded defaults.</summary>
    public static ConfigSource Resolve(string? explicitPath, string? environmentPath)
    {
        var path = explicitPath ?? environmentPath;
        if (!string.IsNullOrEmpty(path))
        {
            return FromFile(path);
        }

        return File.Exists(DefaultFileName) ? FromFile(DefaultFileName) : Embedded;
    }

    public byte[] ReadBytes()
    {
        if (FilePath is not null)
        {
            return File.ReadAllBytes(FilePath);
        }

        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("gateway.default.yaml")
            ?? throw new InvalidOperationException("the embedded gateway.default.yaml resource is missing from this build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
