using Gateway.Configuration.Model;

namespace Gateway.Configuration;

/// <summary>
/// Compiles one feature's runtime table from each config revision (the routes, the keys, the guardrails). The
/// feature owns the table's type and how it is built; the snapshot only carries it, so configuration depends on
/// no feature. A compiler that throws rejects the revision, like a validation error would.
/// </summary>
internal interface ISnapshotCompiler
{
    Type PartType { get; }

    object Compile(GatewayConfig config);
}

/// <inheritdoc cref="ISnapshotCompiler"/>
internal abstract class SnapshotCompiler<TPart> : ISnapshotCompiler where TPart : class
{
    public Type PartType => typeof(TPart);

    object ISnapshotCompiler.Compile(GatewayConfig config) => Compile(config);

    public abstract TPart Compile(GatewayConfig config);
}
