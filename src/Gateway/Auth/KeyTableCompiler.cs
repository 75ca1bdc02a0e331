using Gateway.Configuration;
using Gateway.Configuration.Model;

namespace Gateway.Auth;

/// <summary>Each revision's gateway keys, as hashes.</summary>
internal sealed class KeyTableCompiler : SnapshotCompiler<KeyTable>
{
    public override KeyTable Compile(GatewayConfig config) => KeyTable.Create(config.Keys);
}

internal static class KeyTableSnapshot
{
    extension(GatewaySnapshot snapshot)
    {
        /// <summary>The gateway keys of this revision (hashes only).</summary>
        public KeyTable Keys => snapshot.Part<KeyTable>();
    }
}
