using System.Text.Json;

namespace FakeProviders.OpenAi;

/// <summary>Error bodies as api.openai.com writes them.</summary>
public static class OpenAiErrors
{
    public static string Body(string message, string type, string? param = null, string? code = null) =>
        JsonSerializer.Serialize(new { error = new { message, type, param, code } });

    public static string MissingKey() => Body(
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        "invalid_request_error");

    /// <summary>OpenAI quotes the wrong key with its middle masked.</summary>
    public static string IncorrectKey(string presented) => Body(
        $"Incorrect API key provided: {Mask(presented)}. You can find your API key at https://platform.openai.com/account/api-keys.",
        "invalid_request_error", code: "invalid_api_key");

    public static string ModelNotFound(string model) => Body(
        $"The model `{model}` does not exist or you do not have access to it.", "invalid_request_error", code: "model_not_found");

    public static string MissingParameter(string name) => Body(
        $"Missing required parameter: '{name}'.", "invalid_request_error", name, "missing_required_parameter");

    public static string ForStatus(int status) => status switch
    {
        400 => Body("Invalid request.", "invalid_request_error"),
        429 => Body("Rate limit reached for requests. Please try again in 1s.", "requests", code: "rate_limit_exceeded"),
        500 => Body("The server had an error while processing your request. Sorry about that!", "server_error"),
        503 => Body("The engine is currently overloaded, please try again later.", "server_error"),
        _ => Body($"Error {status}.", "server_error"),
    };

    private static string Mask(string key) => key.Length <= 8 ? "****" : $"{key[..3]}{new string('*', key.Length - 7)}{key[^4..]}";
}
