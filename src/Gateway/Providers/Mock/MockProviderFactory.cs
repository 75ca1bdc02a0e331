using Gateway.Configuration.Model;

namespace Gateway.Providers.Mock;

internal sealed class MockProviderFactory(TimeProvider time) : IProviderFactory
{
    public IReadOnlyList<string> Types { get; } = ["mock"];

    public IProvider Create(string name, ProviderConfig config) => new MockProvider(config, time);
}
