using System.Buffers;

namespace Gateway.Streaming;

/// <summary>What a chunk stage made of one event.</summary>
internal enum ChunkVerdict
{
    /// <summary>The event goes on as it came.</summary>
    Keep,

    /// <summary>The event goes on as the stage rewrote it (into the buffer it was given).</summary>
    Rewritten,

    /// <summary>The event goes no further.</summary>
    Drop,
}

/// <summary>
/// One stage of the <see cref="StreamRelay"/>'s chain: it sees each event of a streamed answer, in order, once
/// the one parser has framed it and <see cref="ChunkFacts"/> has read it, and keeps, drops or rewrites it. Events a stage writes itself (text it held
/// back, a notice) go to <c>output</c>, the caller, framed with <see cref="SseWriting"/>, ahead of the event it
/// is looking at; later stages do not see them.
/// </summary>
internal interface IChunkStage
{
    /// <param name="data">The event's data: a chunk's JSON, <c>[DONE]</c>, an error.</param>
    /// <param name="facts">What the data says, read once for every stage (again only after a stage rewrote it).</param>
    /// <param name="output">The caller's stream, for events of the stage's own.</param>
    /// <param name="rewritten">Where the stage writes the event's new data when it answers <see cref="ChunkVerdict.Rewritten"/>.</param>
    ChunkVerdict OnChunk(ReadOnlySpan<byte> data, ChunkFacts facts, IBufferWriter<byte> output, IBufferWriter<byte> rewritten);

    /// <summary>The answer has ended (its last event, or a break): what the stage still holds goes to <paramref name="output"/>.</summary>
    void OnEnd(IBufferWriter<byte> output);
}
