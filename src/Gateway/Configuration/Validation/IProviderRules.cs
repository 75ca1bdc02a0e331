using Gateway.Configuration.Model;

namespace Gateway.Configuration.Validation;

/// <summary>
/// What validation needs to know of the provider types a config may name: their names, and each type's own rules
/// for its settings. The providers bring it (Providers/ProviderSettingsRules); configuration names no provider.
/// </summary>
internal interface IProviderRules
{
    IReadOnlyCollection<string> Types { get; }

    /// <summary>Checks the settings only this provider's type has (or must not have); <paramref name="path"/> is providers.NAME.</summary>
    void Validate(ConfigValidationContext context, string path, ProviderConfig provider);

    /// <summary>Why a provider of this type cannot serve an endpoint of <paramref name="endpointType"/> (chat, completions, embeddings); null when it can.</summary>
    string? Unsupported(string providerName, string providerType, string endpointType);
}
