using Gateway.Configuration;
using Gateway.Configuration.Model;

namespace Gateway.Guardrails;

/// <summary>Each revision's guardrails per endpoint, custom patterns compiled once.</summary>
internal sealed class GuardrailTableCompiler : SnapshotCompiler<GuardrailTable>
{
    public override GuardrailTable Compile(GatewayConfig config) => GuardrailTable.Create(config);
}

internal static class GuardrailTableSnapshot
{
    extension(GatewaySnapshot snapshot)
    {
        /// <summary>Each endpoint's guardrails, compiled for this revision.</summary>
        public GuardrailTable Guardrails => snapshot.Part<GuardrailTable>();
    }
}
