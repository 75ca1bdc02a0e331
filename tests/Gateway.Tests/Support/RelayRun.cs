using System.IO.Pipelines;
using System.Text;
using Gateway.Errors;
using Gateway.Streaming;

namespace Gateway.Tests.Support;

/// <summary>A provider's event stream through a <see cref="StreamRelay"/> with the given stages, as the caller receives it.</summary>
internal static class RelayRun
{
    /// <summary>The error a relayed stream ends with at an event that is not JSON.</summary>
    public static GatewayError Malformed() => GatewayErrors.UpstreamProtocol("upstream", "gpt-4o-mini", "an event of its stream is not one JSON object");

    /// <summary>Relays <paramref name="pieces"/>, each one read of the provider's stream, and completes the relay.</summary>
    public static async Task<string> RunAsync(IEnumerable<string> pieces, params IChunkStage[] stages)
    {
        var cuts = new List<int>();
        var bytes = new List<byte>();
        foreach (var piece in pieces)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(piece));
            cuts.Add(bytes.Count);
        }

        return await RunAsync(new ChunkedStream([.. bytes], [.. cuts]), stages);
    }

    public static async Task<string> RunAsync(Stream provider, params IChunkStage[] stages)
    {
        using var sink = new MemoryStream();
        var client = PipeWriter.Create(sink);
        var relay = new StreamRelay(client, stages);

        Assert.False((await relay.RelayAsync(provider, Malformed, CancellationToken.None)).CallerGone);
        await relay.CompleteAsync(CancellationToken.None);
        await client.CompleteAsync();
        return Encoding.UTF8.GetString(sink.ToArray());
    }
}
