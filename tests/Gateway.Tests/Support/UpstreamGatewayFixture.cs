using FakeProviders.OpenAi;

namespace Gateway.Tests.Support;

/// <summary>A fake OpenAI upstream and a gateway in front of it (TestConfigs.WithUpstream), fresh for each test.</summary>
public abstract class UpstreamGatewayTest : IAsyncLifetime
{
    private protected FakeOpenAiServer Upstream { get; private set; } = null!;

    private protected GatewayHost Gateway { get; private set; } = null!;

    /// <summary>The endpoint timeout of the gateway under test.</summary>
    private protected virtual string Timeout => "30s";

    private protected virtual string MaxBodySize => "1MB";

    public async Task InitializeAsync()
    {
        Upstream = await FakeOpenAiServer.StartAsync();
        Gateway = await GatewayHost.StartAsync(TestConfigs.WithUpstream(Upstream.BaseUrl, Upstream.ApiKey, Timeout, MaxBodySize));
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
