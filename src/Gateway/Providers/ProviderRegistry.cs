using System.Collections.Frozen;
using Gateway.Configuration.Model;

namespace Gateway.Providers;

/// <summary>The provider types this build knows, and the factory behind each.</summary>
internal sealed class ProviderRegistry
{
    /// <summary>Types known without a running host, for `gateway validate`.</summary>
    public static readonly IReadOnlyCollection<string> KnownTypes =
        [.. OpenAi.OpenAiPresets.All.Keys, AzureOpenAi.AzureOpenAiProviderFactory.Type, Anthropic.AnthropicDialect.ProviderType, Gemini.GeminiDialect.ProviderType, Bedrock.BedrockDialect.ProviderType, Mock.MockProviderFactory.Type];

    /// <summary>The provider types and their own settings rules, for the config validator.</summary>
    public static Configuration.Validation.IProviderRules Rules => ProviderSettingsRules.Instance;

    private readonly FrozenDictionary<string, IProviderFactory> _factories;

    public ProviderRegistry(IEnumerable<IProviderFactory> factories)
    {
        _factories = factories.SelectMany(f => f.Types.Select(t => (Type: t, Factory: f)))
            .ToFrozenDictionary(x => x.Type, x => x.Factory, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> Types => _factories.Keys;

    public IProvider Create(string name, ProviderConfig config) => _factories[config.Type].Create(name, config);
}
