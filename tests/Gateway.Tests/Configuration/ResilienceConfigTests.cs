namespace Gateway.Tests.Configuration;

/// <summary>Routing and resilience settings in gateway.yaml: what is accepted, and what each mistake is told.</summary>
public sealed class ResilienceConfigTests
{
    private static string[] Errors(string endpointYaml, string providerExtra = "") => ConfigValidationTests.Parse($$"""
        server: { listen: http://127.0.0.1:8080, auth: none }
        providers:
          p: { type: mock{{providerExtra}} }
        endpoints:
          chat:
            targets: [ { provider: p, model: m } ]
            {{endpointYaml}}
        """).FormattedErrors.ToArray();

    [Fact]
    public void Every_resilience_setting_together_is_valid()
    {
        Assert.Empty(Errors("""
            sticky: user
                fallbacks: [ { provider: p, model: m2, timeouts: { first_byte: 10s } } ]
                fallback_on: [429, 500, timeout, connection, context_length, content_policy]
                fallback_to_targets: true
                context_length_fallbacks: [ { provider: p, model: big } ]
                content_policy_fallbacks: [ { provider: p, model: lenient } ]
                timeouts: { connect: 2s, first_byte: 30s, idle: 15s }
                deadline: 90s
                retry: { attempts: 3, on: [429, 503, timeout], backoff: 100ms, max_backoff: 2s, max_retry_after: 20s }
            """, ", circuit_breaker: { failure_ratio: 0.25, minimum_throughput: 20, sampling_duration: 1m, break_duration: 15s }"));
    }

    [Fact]
    public void Mistakes_in_routing_settings_are_named_with_what_was_expected()
    {
        Assert.Equal(
        [
            "gateway.yaml:7:13: endpoints.chat.sticky: 'session' is not one of user",
            "gateway.yaml:8:24: endpoints.chat.fallback_on[1]: 'flaky' is not a condition here; use an HTTP status 400-599 or timeout, connection, context_length, content_policy",
            "gateway.yaml:9:15: endpoints.chat.deadline: '0s' is not a duration such as 500ms, 30s, 1m, 1h or 1d",
            "gateway.yaml:10:23: endpoints.chat.timeouts.idle: '0s' is not a duration such as 500ms, 30s, 1m, 1h or 1d",
            "gateway.yaml:11:53: endpoints.chat.retry.max_backoff: is shorter than retry.backoff; it caps the delays that start at backoff",
        ], Errors("""
            sticky: session
                fallback_on: [503, flaky]
                deadline: 0s
                timeouts: { idle: 0s }
                retry: { attempts: 2, backoff: 5s, max_backoff: 1s }
            """));
    }

    [Fact]
    public void Circuit_breaker_limits_are_checked_before_polly_would_throw()
    {
        Assert.Equal(
        [
            "gateway.yaml:3:54: providers.p.circuit_breaker.failure_ratio: 1.5 is out of range; a share of failed calls, above 0 and at most 1",
            "gateway.yaml:3:79: providers.p.circuit_breaker.minimum_throughput: 1 is too low; at least 2 calls must be seen before the ratio counts",
            "gateway.yaml:3:98: providers.p.circuit_breaker.break_duration: 100ms is too short; at least 500ms",
        ], Errors("", ", circuit_breaker: { failure_ratio: 1.5, minimum_throughput: 1, break_duration: 100ms }"));
    }
}
