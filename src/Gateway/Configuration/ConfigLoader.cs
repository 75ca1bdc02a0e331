using System.Security.Cryptography;
using System.Text;
using Gateway.Configuration.Binding;
using Gateway.Configuration.Model;
using Gateway.Configuration.Validation;
using Gateway.Configuration.Yaml;

namespace Gateway.Configuration;

/// <summary>The outcome of reading one configuration: the config, or every error found in it.</summary>
internal sealed record ConfigLoadResult(ConfigSource Source, GatewayConfig? Config, string Hash, IReadOnlyList<ConfigError> Errors)
{
    public bool IsValid => Config is not null && Errors.Count == 0;

    public IEnumerable<string> FormattedErrors => Errors.Select(e => e.Format(Source.DisplayName));
}

/// <summary>Reads, binds and validates gateway.yaml. Pure: no side effects beyond reading the file.</summary>
internal static class ConfigLoader
{
    public static ConfigLoadResult Load(ConfigSource source, IProviderRules providers, Func<string, string?>? environment = null)
    {
        byte[] bytes;
        try
        {
            bytes = source.ReadBytes();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var reason = ex is FileNotFoundException or DirectoryNotFoundException ? "the file does not exist" : $"the file cannot be read: {ex.Message}";
            return new ConfigLoadResult(source, null, "", [new ConfigError(new SourcePosition(1, 1), "", reason)]);
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        return Parse(source, Encoding.UTF8.GetString(bytes), hash, providers, environment ?? Environment.GetEnvironmentVariable);
    }

    public static ConfigLoadResult Parse(ConfigSource source, string text, string hash, IProviderRules providers, Func<string, string?> environment)
    {
        var errors = new List<ConfigError>();
        var root = YamlTreeReader.Read(text, errors);
        if (root is null)
        {
            return new ConfigLoadResult(source, null, hash, errors);
        }

        var binder = new ConfigBinder(environment);
        var config = binder.Bind<GatewayConfig>(root);
        errors.AddRange(binder.Errors);
        if (config is not null)
        {
            // Semantic rules run even after binding errors, so one pass shows every problem.
            errors.AddRange(ConfigValidator.Validate(config, binder.SourceMap, providers));
        }

        var ordered = errors.OrderBy(e => e.Position.Line).ThenBy(e => e.Position.Column).ToArray();
        return new ConfigLoadResult(source, ordered.Length == 0 ? config : null, hash, ordered);
    }
}
