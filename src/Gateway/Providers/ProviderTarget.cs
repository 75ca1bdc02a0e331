using System.Text;
using System.Text.Json;

namespace Gateway.Providers;

/// <summary>The model an attempt asks a provider for: its name, and its JSON token ready to splice into a body.</summary>
internal sealed class ProviderTarget(string model)
{
    public string Model { get; } = model;

    /// <summary>The model as a JSON string token, quotes included, ready to splice into a body.</summary>
    public ReadOnlyMemory<byte> ModelToken { get; } = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(model));

    /// <summary>
    /// The model token followed by stream_options asking for usage, for a stream whose caller sent no
    /// stream_options: spliced in place of the model, so the body is still forwarded without a copy.
    /// </summary>
    public ReadOnlyMemory<byte> ModelTokenAskingUsage { get; } = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(model) + ",\"stream_options\":{\"include_usage\":true}");
}
