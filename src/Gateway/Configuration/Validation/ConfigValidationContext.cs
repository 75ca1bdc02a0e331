using Gateway.Configuration.Binding;
using Gateway.Configuration.Model;

namespace Gateway.Configuration.Validation;

/// <summary>What a validation rule sees: the bound config, where each key was written, and an error sink.</summary>
internal sealed class ConfigValidationContext(GatewayConfig config, SourceMap sourceMap, IProviderRules providers)
{
    private readonly List<ConfigError> _errors = [];

    public GatewayConfig Config { get; } = config;

    /// <summary>Every provider <c>type</c> this build of the gateway knows.</summary>
    /// <summary>The provider types the config may name, and their own rules.</summary>
    public IProviderRules Providers { get; } = providers;

    public IReadOnlyList<ConfigError> Errors => _errors;

    /// <summary>Whether the file wrote this key; a written value that failed to bind is already reported.</summary>
    public bool IsWritten(string path) => sourceMap.Contains(path);

    public void Error(string path, string message) => _errors.Add(new ConfigError(sourceMap.Find(path), path, message));
}

/// <summary>One concern of validation. Rules report every problem they see; they never throw.</summary>
internal interface IConfigRule
{
    void Validate(ConfigValidationContext context);
}
