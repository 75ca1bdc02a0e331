namespace FakeProviders.Bedrock;

/// <summary>AWS's JSON error bodies for Bedrock: {"message": …}, the type travelling in the x-amzn-ErrorType header.</summary>
public static class BedrockErrors
{
    public static string Body(string message) => System.Text.Json.JsonSerializer.Serialize(new { message });

    public static string TypeFor(int status) => status switch
    {
        400 => "ValidationException",
        403 => "AccessDeniedException",
        404 => "ResourceNotFoundException",
        408 => "ModelTimeoutException",
        424 => "ModelErrorException",
        429 => "ThrottlingException",
        503 => "ServiceUnavailableException",
        _ => "InternalServerException",
    };

    public static string ForStatus(int status) => Body(status switch
    {
        400 => "Malformed input request, please reformat your input and try again.",
        403 => "You don't have access to the model with the specified model ID.",
        404 => "Could not resolve the foundation model from the provided model identifier.",
        408 => "Model has timed out in processing the request. Try your request again.",
        424 => "The model returned an error. Try your request again.",
        429 => "Too many requests, please wait before trying again.",
        503 => "Bedrock is unable to process your request.",
        _ => "The system encountered an unexpected error during processing. Try your request again.",
    });
}
