namespace Gateway.Providers;

/// <summary>
/// A configured provider for one config revision. It sends the call in the provider's own wire format
/// and writes the OpenAI-shaped answer (or error) to the client.
/// </summary>
internal interface IProvider
{
    Task SendAsync(ProviderCall call);
}

/// <summary>Makes <see cref="IProvider"/>s for the provider types it knows.</summary>
internal interface IProviderFactory
{
    IReadOnlyList<string> Types { get; }

    IProvider Create(string name, Configuration.Model.ProviderConfig config);
}
