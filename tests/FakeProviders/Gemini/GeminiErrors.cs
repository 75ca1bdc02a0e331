using System.Text.Json.Nodes;

namespace FakeProviders.Gemini;

/// <summary>Error bodies as Google's APIs write them: {"error": {"code", "message", "status", "details"}}.</summary>
public static class GeminiErrors
{
    public const string InvalidKeyMessage = "API key not valid. Please pass a valid API key.";

    public static string Body(int code, string status, string message, JsonArray? details = null)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message, ["status"] = status };
        if (details is not null)
        {
            error["details"] = details;
        }

        return new JsonObject { ["error"] = error }.ToJsonString(WireJson.Options);
    }

    /// <summary>What the service answers for a key it doesn't know: a 400, with the reason in an ErrorInfo detail.</summary>
    public static string InvalidKey() => Body(400, "INVALID_ARGUMENT", InvalidKeyMessage,
    [
        new JsonObject
        {
            ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo",
            ["reason"] = "API_KEY_INVALID",
            ["domain"] = "googleapis.com",
            ["metadata"] = new JsonObject { ["service"] = "generativelanguage.googleapis.com" },
        },
        new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.LocalizedMessage", ["locale"] = "en-US", ["message"] = InvalidKeyMessage },
    ]);

    /// <summary>A quota error: the wait is in a RetryInfo detail, not in a Retry-After header.</summary>
    public static string ResourceExhausted(string retryDelay = "27s") => Body(429, "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
    [
        new JsonObject
        {
            ["@type"] = "type.googleapis.com/google.rpc.QuotaFailure",
            ["violations"] = new JsonArray(new JsonObject
            {
                ["quotaMetric"] = "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                ["quotaId"] = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                ["quotaValue"] = "10",
            }),
        },
        new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.RetryInfo", ["retryDelay"] = retryDelay },
    ]);

    public static string ForStatus(int status) => status switch
    {
        400 => Body(400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
        403 => Body(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity). Please use API key or other form of API consumer identity to call this API."),
        404 => Body(404, "NOT_FOUND", "Requested entity was not found."),
        429 => ResourceExhausted(),
        503 => Body(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
        504 => Body(504, "DEADLINE_EXCEEDED", "The request timed out. Please try again."),
        _ => Body(500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"),
    };
}
