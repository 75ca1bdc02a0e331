using Gateway.Errors;
using Gateway.Routing.Resilience;

namespace Gateway.Tests.Routing;

public sealed class FailureConditionsTests
{
    [Theory]
    [InlineData(400, "context_length_exceeded", "This model's maximum context length is 128000 tokens.", "ContextLength")]
    [InlineData(400, "invalid_request_error", "Provider 'claude' (anthropic) returned HTTP 400: prompt is too long: 210000 tokens > 200000 maximum", "ContextLength")]
    [InlineData(400, "invalid_argument", "Provider 'google' (gemini) returned HTTP 400: The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).", "ContextLength")]
    [InlineData(400, "validation_exception", "Provider 'aws' (bedrock) returned HTTP 400: Input is too long for requested model.", "ContextLength")]
    [InlineData(400, "content_filter", "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", "ContentPolicy")]
    [InlineData(400, "invalid_request_error", "Invalid value: 'robot'.", "Status")]
    [InlineData(504, "upstream_timeout", "Provider 'p' did not respond within 1s", "Timeout")]
    [InlineData(502, "upstream_unreachable", "Provider 'p' could not be reached: Connection refused", "Connection")]
    [InlineData(503, "overloaded_error", "Overloaded", "Status")]
    public void Each_providers_wording_is_read_as_the_failure_it_is(int status, string code, string message, string kind)
    {
        Assert.Equal(kind, FailureConditions.Classify(new GatewayError(status, "t", code, null, message)).ToString());
    }

    [Fact]
    public void Statuses_match_provider_answers_while_timeouts_and_connections_match_only_by_name()
    {
        var conditions = new FailureConditions(["502", "504", "context_length"]);

        Assert.True(conditions.Matches(new GatewayError(502, "t", "upstream_auth_failed", null, "rejected our key")));
        Assert.False(conditions.Matches(new GatewayError(504, "t", "upstream_timeout", null, "no answer")));
        Assert.False(conditions.Matches(new GatewayError(502, "t", "upstream_unreachable", null, "refused")));
        Assert.True(conditions.Matches(new GatewayError(400, "t", "context_length_exceeded", null, "too long")));
        Assert.False(conditions.Matches(new GatewayError(400, "t", "invalid_value", null, "bad")));
    }
}
