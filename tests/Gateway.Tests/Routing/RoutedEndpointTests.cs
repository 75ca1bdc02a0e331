using Gateway.Configuration.Model;
using Gateway.Providers;
using Gateway.Routing;

namespace Gateway.Tests.Routing;

public sealed class RoutedEndpointTests
{
    private sealed class NoProvider : IProvider
    {
        public Task SendAsync(ProviderCall call) => throw new NotSupportedException();
    }

    private static RoutedEndpoint Endpoint(params double[] weights) => new(
        "chat",
        new EndpointConfig(),
        weights.Select((w, i) => new RouteTarget("p", new NoProvider(), $"model-{i}", w)).ToArray(),
        []);

    [Fact]
    public void Split_follows_the_weights_within_binomial_bounds()
    {
        var endpoint = Endpoint(90, 10);
        var random = new Random(12345);
        const int n = 10_000;

        var first = Enumerable.Range(0, n).Count(_ => endpoint.PickTarget(random.NextDouble()).Model == "model-0");

        // Expected 9,000; 5 standard deviations of a binomial(10000, 0.9) is 150.
        Assert.InRange(first, 9_000 - 150, 9_000 + 150);
    }

    [Theory]
    [InlineData(0.0, "model-0")]
    [InlineData(0.2499, "model-0")]
    [InlineData(0.25, "model-1")]
    [InlineData(0.9999, "model-1")]
    public void Sample_maps_to_the_target_whose_share_it_falls_in(double sample, string model)
    {
        Assert.Equal(model, Endpoint(1, 3).PickTarget(sample).Model);
    }

    [Fact]
    public void Endpoint_timeout_becomes_the_forwarders_activity_timeout()
    {
        var endpoint = new RoutedEndpoint("e", new EndpointConfig { Timeout = TimeSpan.FromSeconds(7) }, [new RouteTarget("p", new NoProvider(), "m", 1)], []);

        Assert.Equal(TimeSpan.FromSeconds(7), endpoint.ForwarderConfig.ActivityTimeout);
    }
}
