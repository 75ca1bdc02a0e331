namespace Gateway.Core;

/// <summary>The OpenAI operation an endpoint serves.</summary>
internal enum EndpointKind
{
    Chat,
    Completions,
    Embeddings,
}

internal static class EndpointKinds
{
    public static EndpointKind Parse(string type) => type switch
    {
        "completions" => EndpointKind.Completions,
        "embeddings" => EndpointKind.Embeddings,
        _ => EndpointKind.Chat,
    };

    public static string Name(this EndpointKind kind) => kind switch
    {
        EndpointKind.Chat => "chat",
        EndpointKind.Completions => "completions",
        _ => "embeddings",
    };

    /// <summary>The path under /v1 where clients call this kind, and where OpenAI-compatible providers serve it.</summary>
    public static string Operation(this EndpointKind kind) => kind switch
    {
        EndpointKind.Chat => "/chat/completions",
        EndpointKind.Completions => "/completions",
        _ => "/embeddings",
    };
}
