namespace Gateway.Providers;

/// <summary>
/// A configured provider for one config revision. It sends one attempt in the provider's own wire format and
/// writes the OpenAI-shaped answer to the client; a failure before the answer starts is returned, not written,
/// so the router can retry or fall back.
/// </summary>
internal interface IProvider
{
    Task<AttemptResult> SendAsync(ProviderCall call);
}

/// <summary>Makes <see cref="IProvider"/>s for the provider types it knows.</summary>
internal interface IProviderFactory
{
    IReadOnlyList<string> Types { get; }

    IProvider Create(string name, Configuration.Model.ProviderConfig config);
}
