using Gateway.Configuration.Model;

namespace Gateway.Providers.Mock;

internal sealed class MockProviderFactory(TimeProvider time) : IProviderFactory
{
    public const string Type = "mock";

    public IReadOnlyList<string> Types { get; } = [Type];

    public IProvider Create(string name, ProviderConfig config) => new MockProvider(config, time);
}
