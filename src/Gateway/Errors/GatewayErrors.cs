using Microsoft.AspNetCore.Http;

namespace Gateway.Errors;

/// <summary>
/// Every error the gateway itself produces, in one place, but for the limits' own (RateLimiting/RateLimitErrors,
/// kept with the limit types they describe). Each is explained in docs/troubleshooting.md
/// under its code.
/// </summary>
internal static class GatewayErrors
{
    private const string InvalidRequest = "invalid_request_error";
    private const string Authentication = "authentication_error";
    private const string Permission = "permission_error";
    public const string Upstream = "upstream_error";

    public static GatewayError MissingKey() => new(StatusCodes.Status401Unauthorized, Authentication, "invalid_api_key", null,
        "No gateway key was provided. Send it as 'Authorization: Bearer <key>' (or in an 'api-key' or 'x-api-key' header).");

    public static GatewayError InvalidKey() => new(StatusCodes.Status401Unauthorized, Authentication, "invalid_api_key", null,
        "The gateway key provided is not valid.");

    public static GatewayError EndpointNotAllowed(string endpoint) => new(StatusCodes.Status403Forbidden, Permission, "endpoint_not_allowed", "model",
        $"Your gateway key may not call the endpoint '{endpoint}'.");

    public static GatewayError AdminOnly(string what) => new(StatusCodes.Status403Forbidden, Permission, "admin_key_required", null,
        $"{what} needs a gateway key with role admin.");

    public static GatewayError InvalidQuery(string parameter, string problem) => new(StatusCodes.Status400BadRequest, InvalidRequest, "invalid_query_parameter", parameter,
        $"Query parameter '{parameter}': {problem}.");

    public static GatewayError OwnDataOnly(string user) => new(StatusCodes.Status403Forbidden, Permission, "finance_key_required", "user",
        $"Your gateway key sees only its own user's traces and usage ('{user}'); other users' need a key with role finance or admin.");

    public static GatewayError TraceNotFound(string id) => new(StatusCodes.Status404NotFound, InvalidRequest, "trace_not_found", "id",
        $"No trace '{id}' that your key may read. Trace ids are the x-request-id header of a response.");

    /// <summary>A block guardrail found these entity types in the request; the values are never repeated.</summary>
    public static GatewayError GuardrailBlocked(string guardrail, IReadOnlyList<string> entities, string? location) => new(StatusCodes.Status400BadRequest, InvalidRequest, "guardrail_blocked", location,
        $"The request was blocked by the gateway's guardrail '{guardrail}': it contains {string.Join(", ", entities)}. Remove that data and send the request again.");

    public static GatewayError TrackingDisabled() => new(StatusCodes.Status404NotFound, InvalidRequest, "tracking_disabled", null,
        "Tracking is off (tracking.enabled: false): there are no traces or usage to read.");

    /// <summary>For traces only: the caller hung up before its answer was complete (nginx's 499).</summary>
    public static GatewayError ClientDisconnected() => new(StatusCodes.Status499ClientClosedRequest, "client_error", "client_disconnected", null,
        "The caller closed the connection before the answer was complete.");

    public static GatewayError TraceDetailUnreadable(string id, string reason) => new(StatusCodes.Status503ServiceUnavailable, "server_error", "trace_detail_unreadable", null,
        $"The trace '{id}' is stored, but its spans and bodies could not be read ({reason}). A newer gateway may have written them: read it through a replica of the newest version.");

    public static GatewayError TrackingStoreUnavailable(string kind, string reason) => new(StatusCodes.Status503ServiceUnavailable, "server_error", "tracking_store_unavailable", null,
        $"The {kind} tracking store did not answer ({reason}); traces are kept in the journal meanwhile. Try again shortly.");

    public static GatewayError EndpointNotFound(string model, IEnumerable<string> available) => new(StatusCodes.Status404NotFound, InvalidRequest, "model_not_found", "model",
        $"The model '{model}' does not exist or you do not have access to it. Endpoints available to you: {JoinOrNone(available)}.");

    public static GatewayError WrongEndpointKind(string model, string kind, string path) => new(StatusCodes.Status400BadRequest, InvalidRequest, "wrong_endpoint_type", "model",
        $"'{model}' is a {kind} endpoint; call it at {path}.");

    public static GatewayError InvalidJson(string detail) => new(StatusCodes.Status400BadRequest, InvalidRequest, "invalid_json", null,
        $"The request body is not valid JSON: {detail}");

    public static GatewayError MissingField(string field) => new(StatusCodes.Status400BadRequest, InvalidRequest, "missing_required_parameter", field,
        $"Missing required parameter: '{field}'.");

    public static GatewayError InvalidField(string field, string expectation) => new(StatusCodes.Status400BadRequest, InvalidRequest, "invalid_type", field,
        $"Invalid value for '{field}': {expectation}.");

    public static GatewayError BodyTooLarge(long limit) => new(StatusCodes.Status413PayloadTooLarge, InvalidRequest, "request_too_large", null,
        $"The request body is larger than this gateway accepts ({limit} bytes; server.max_body_size).");

    public static GatewayError UpstreamUnreachable(string provider, string model, string reason) => new(StatusCodes.Status502BadGateway, Upstream, "upstream_unreachable", null,
        $"Provider '{provider}' (model '{model}') could not be reached: {reason}");

    public static GatewayError UpstreamTimeout(string provider, string model, TimeSpan timeout) => new(StatusCodes.Status504GatewayTimeout, Upstream, "upstream_timeout", null,
        $"Provider '{provider}' (model '{model}') did not respond within {Configuration.Model.Durations.Format(timeout)} (endpoint timeout).");

    public static GatewayError UpstreamCredentialsRejected(string provider, int status) => new(StatusCodes.Status502BadGateway, Upstream, "upstream_auth_failed", null,
        $"Provider '{provider}' rejected the gateway's credentials (HTTP {status}); an admin should check providers.{provider}.api_key.");

    public static GatewayError UpstreamCredentialsUnavailable(string provider, string reason) => new(StatusCodes.Status502BadGateway, Upstream, "upstream_auth_failed", null,
        $"The gateway has no credentials for provider '{provider}': {reason}. An admin should configure them (providers.{provider}).");

    public static GatewayError NoTargetAvailable(string endpoint, string attempts) => new(StatusCodes.Status503ServiceUnavailable, Upstream, "no_target_available", null,
        $"Endpoint '{endpoint}' has no target that can take the call now ({attempts}). Try again shortly.");

    public static GatewayError DeadlineExceeded(string endpoint, TimeSpan deadline) => new(StatusCodes.Status504GatewayTimeout, Upstream, "deadline_exceeded", null,
        $"Endpoint '{endpoint}' could not start an answer within its deadline of {Configuration.Model.Durations.Format(deadline)}.");

    public static GatewayError UpstreamFailed(string provider, int status, string detail) => new(status, Upstream, "upstream_error", null,
        $"Provider '{provider}' returned HTTP {status}: {detail}");

    public const string UnsupportedParameterCode = "unsupported_parameter";

    public static GatewayError UnsupportedParameter(string field, string provider, string providerType) => new(StatusCodes.Status400BadRequest, InvalidRequest, UnsupportedParameterCode, field,
        $"'{field}' is not supported by provider '{provider}' ({providerType}) ; remove it, set drop_unsupported_params: true on the endpoint to have the gateway drop it, or route this call to an OpenAI-compatible endpoint.");

    /// <summary>A translated provider's own error, in OpenAI's shape: its status, and its message naming it.</summary>
    public static GatewayError ProviderError(string provider, string providerType, int status, string? providerCode, string message) => new(
        status == 529 ? StatusCodes.Status503ServiceUnavailable : status,
        status switch { 429 => "rate_limit_error", >= 400 and < 500 => InvalidRequest, _ => Upstream },
        status == 429 ? "rate_limit_exceeded" : providerCode ?? "upstream_error", null,
        $"Provider '{provider}' ({providerType}) returned HTTP {status}: {message}");

    public static GatewayError StreamBrokenOff(string provider, string reason) => new(StatusCodes.Status502BadGateway, Upstream, "upstream_stream_interrupted", null,
        $"Provider '{provider}' ended the stream before it was complete: {reason}");

    public static GatewayError UpstreamProtocol(string provider, string model, string reason) => new(StatusCodes.Status502BadGateway, Upstream, "upstream_protocol_error", null,
        $"Provider '{provider}' (model '{model}') broke off the response: {reason}");

    public static GatewayError NotFound(string path) => new(StatusCodes.Status404NotFound, InvalidRequest, "unknown_url", null,
        $"Unknown request URL: {path}. This gateway serves the OpenAI API under /v1 (chat/completions, completions, embeddings, models).");

    public static GatewayError MethodNotAllowed(string method, string path) => new(StatusCodes.Status405MethodNotAllowed, InvalidRequest, "method_not_supported", null,
        $"{method} is not supported for {path}.");

    public static GatewayError Internal(string traceId) => new(StatusCodes.Status500InternalServerError, "server_error", "internal_error", null,
        $"The gateway failed unexpectedly; the failure is logged under trace id {traceId}.");

    private static string JoinOrNone(IEnumerable<string> names)
    {
        var joined = string.Join(", ", names.Order(StringComparer.Ordinal));
        return joined.Length == 0 ? "none" : joined;
    }
}
