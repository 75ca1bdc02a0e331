using Gateway.Configuration.Model;
using Gateway.Errors;
using Gateway.Providers;
using Gateway.Routing;
using Gateway.Routing.Resilience;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Routing;

public sealed class RoutedEndpointTests
{
    private sealed class NoProvider : IProvider
    {
        public Task<AttemptResult> SendAsync(ProviderCall call) => throw new NotSupportedException();
    }

    private static readonly TargetCircuits Circuits = new(TimeProvider.System);

    private static RouteTarget Target(string model, double weight = 1, TimeoutsConfig? timeouts = null) =>
        new("p", "mock", new NoProvider(), model, weight, timeouts, Circuits.For("p", model, new CircuitBreakerConfig()));

    private static RoutedEndpoint Endpoint(EndpointConfig config, RouteTarget[] targets, RouteTarget[]? fallbacks = null) =>
        new("chat", config, targets, fallbacks ?? [], [], [], TimeProvider.System);

    private static RoutedEndpoint Endpoint(params double[] weights) =>
        Endpoint(new EndpointConfig(), weights.Select((w, i) => Target($"model-{i}", w)).ToArray());

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
    public void Sticky_users_never_move_while_the_weights_stay_and_still_spread_by_weight()
    {
        var endpoint = Endpoint(new EndpointConfig { Sticky = "user" }, [Target("a", 70), Target("b", 30)]);
        var random = new Random(1);
        var users = Enumerable.Range(0, 5_000).Select(i => $"user-{i}").ToList();

        var first = users.ToDictionary(u => u, u => endpoint.PickTarget(endpoint.Sample(u, random)).Model);
        var again = users.ToDictionary(u => u, u => endpoint.PickTarget(endpoint.Sample(u, random)).Model);

        Assert.Equal(first, again);
        // Expected 3,500 users on "a"; 5 standard deviations of a binomial(5000, 0.7) is about 162.
        Assert.InRange(first.Values.Count(m => m == "a"), 3_500 - 162, 3_500 + 162);
    }

    [Fact]
    public void Plan_tries_the_pick_then_the_fallbacks_then_the_other_targets_when_asked()
    {
        var targets = new[] { Target("a"), Target("b") };
        var fallbacks = new[] { Target("f1"), Target("f2") };

        var plain = Endpoint(new EndpointConfig(), targets, fallbacks).Plan(targets[1]);
        var wide = Endpoint(new EndpointConfig { FallbackToTargets = true }, targets, fallbacks).Plan(targets[1]);

        Assert.Equal(["b", "f1", "f2"], plain.Select(t => t.Model));
        Assert.Equal(["b", "f1", "f2", "a"], wide.Select(t => t.Model));
    }

    [Fact]
    public void Timeouts_come_from_the_target_then_the_endpoint_then_the_endpoint_timeout()
    {
        var config = new EndpointConfig { Timeout = TimeSpan.FromSeconds(40), Timeouts = new TimeoutsConfig { Connect = TimeSpan.FromSeconds(2), Idle = TimeSpan.FromSeconds(15) } };
        var own = Target("own", timeouts: new TimeoutsConfig { FirstByte = TimeSpan.FromSeconds(5) });
        var endpoint = Endpoint(config, [own, Target("plain")]);

        Assert.Equal(new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)), endpoint.Timeouts(own));
        Assert.Equal(new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(15)), endpoint.Timeouts(endpoint.Targets[1]));
    }

    [Theory]
    [InlineData("7", 7.0)]
    [InlineData("0.5", 0.5)]
    [InlineData("Mon, 23 Nov 2026 12:00:30 GMT", 30.0)]
    public void Retry_after_is_read_as_seconds_or_an_http_date(string header, double seconds)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        var error = new GatewayError(429, "rate_limit_error", null, null, "slow down") { Headers = [new("Retry-After", header)] };

        Assert.Equal(TimeSpan.FromSeconds(seconds), RoutedEndpoint.RetryAfter(error, time));
    }
}
