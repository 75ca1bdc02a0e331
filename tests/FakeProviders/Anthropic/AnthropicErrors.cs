namespace FakeProviders.Anthropic;

/// <summary>Error bodies exactly as the Anthropic API writes them: {"type":"error","error":{"type","message"},"request_id"}.</summary>
public static class AnthropicErrors
{
    public static string Body(string type, string message) =>
        System.Text.Json.JsonSerializer.Serialize(new { type = "error", error = new { type, message }, request_id = "req_011CFakeAnthropic0001" });

    public static string ForStatus(int status) => status switch
    {
        400 => Body("invalid_request_error", "There was an issue with the format or content of your request."),
        401 => Body("authentication_error", "invalid x-api-key"),
        403 => Body("permission_error", "Your API key does not have permission to use the specified resource."),
        404 => Body("not_found_error", "The requested resource could not be found."),
        413 => Body("request_too_large", "Request exceeds the maximum allowed number of bytes."),
        429 => Body("rate_limit_error", "This request would exceed the rate limit for your organization of 50 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits."),
        529 => Body("overloaded_error", "Overloaded"),
        _ => Body("api_error", "Internal server error"),
    };
}
