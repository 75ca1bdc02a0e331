namespace Gateway.Core;

/// <summary>The OpenAI-compatible surface lives under /v1, as the SDKs expect of a base URL.</summary>
internal static class InferencePaths
{
    public const string Prefix = "/v1";
    public const string ChatCompletions = "/v1/chat/completions";
    public const string Completions = "/v1/completions";
    public const string Embeddings = "/v1/embeddings";
    public const string Models = "/v1/models";
}
