using LoadTests.Runner.Processes;

namespace LoadTests.Runner.Systems;

/// <summary>One of the systems compared: how to start it, where to call it and what a caller sends it.</summary>
internal sealed record SystemUnderTest
{
    public required string Id { get; init; }

    public required string Label { get; init; }

    /// <summary>The model name callers send (our gateway: an endpoint name; the others: the upstream model).</summary>
    public required string ChatModel { get; init; }

    public required string EmbeddingsModel { get; init; }

    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>Starts the system on the given port; null for the direct call, which has no process of its own.</summary>
    public required Func<int, string, ManagedProcess?> Start { get; init; }

    /// <summary>A path that answers (any status) once the system is listening.</summary>
    public string ReadinessPath { get; init; } = "/healthz";

    public bool IsDirect => Id is SystemCatalog.Direct or SystemCatalog.DirectAgain;

    public bool IsOurs => Id.StartsWith("gateway", StringComparison.Ordinal);
}
