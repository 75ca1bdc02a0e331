using System.Globalization;
using Gateway.Errors;

namespace Gateway.Routing.Resilience;

/// <summary>
/// A list of failure conditions from gateway.yaml (<c>fallback_on</c>, <c>retry.on</c>): HTTP statuses a provider
/// answered with, <c>timeout</c>, <c>connection</c>, <c>context_length</c> and <c>content_policy</c>.
/// </summary>
internal sealed class FailureConditions
{
    private readonly HashSet<int> _statuses = [];
    private readonly bool _timeout;
    private readonly bool _connection;
    private readonly bool _contextLength;
    private readonly bool _contentPolicy;

    public FailureConditions(IEnumerable<string> conditions)
    {
        foreach (var condition in conditions)
        {
            switch (condition)
            {
                case "timeout":
                    _timeout = true;
                    break;
                case "connection":
                    _connection = true;
                    break;
                case "context_length":
                    _contextLength = true;
                    break;
                case "content_policy":
                    _contentPolicy = true;
                    break;
                default:
                    _statuses.Add(int.Parse(condition, CultureInfo.InvariantCulture)); // validated at load
                    break;
            }
        }
    }

    public bool Matches(GatewayError error) => Classify(error) switch
    {
        FailureKind.Timeout => _timeout,
        FailureKind.Connection => _connection,
        FailureKind.ContextLength => _contextLength || _statuses.Contains(error.Status),
        FailureKind.ContentPolicy => _contentPolicy || _statuses.Contains(error.Status),
        _ => _statuses.Contains(error.Status),
    };

    /// <summary>What kind of failure an error is; context length and content policy are read from each provider's own words.</summary>
    public static FailureKind Classify(GatewayError error)
    {
        switch (error.Code)
        {
            case "upstream_timeout":
                return FailureKind.Timeout;
            case "upstream_unreachable":
                return FailureKind.Connection;
            case "context_length_exceeded" or "string_above_max_length":
                return FailureKind.ContextLength;
            case "content_policy_violation" or "content_filter" or "responsible_ai_policy_violation":
                return FailureKind.ContentPolicy;
        }

        if (error.Status is not (400 or 413 or 422))
        {
            return FailureKind.Status;
        }

        var message = error.Message;
        // Anthropic, Gemini, Bedrock and the OpenAI-compatible servers say it in words, each their own.
        if (ContextLengthPhrases.Any(p => message.Contains(p, StringComparison.OrdinalIgnoreCase)))
        {
            return FailureKind.ContextLength;
        }

        return ContentPolicyPhrases.Any(p => message.Contains(p, StringComparison.OrdinalIgnoreCase)) ? FailureKind.ContentPolicy : FailureKind.Status;
    }

    private static readonly string[] ContextLengthPhrases =
    [
        "context length", "context_length", "context window", "maximum context", "prompt is too long", "input is too long",
        "too many input tokens", "exceeds the maximum number of tokens", "input token count", "too many tokens",
    ];

    private static readonly string[] ContentPolicyPhrases = ["content management policy", "content policy", "safety system", "usage policies"];
}

internal enum FailureKind
{
    Status,
    Timeout,
    Connection,
    ContextLength,
    ContentPolicy,
}
