using System.Buffers;
using System.Text;
using Gateway.Streaming;

namespace Gateway.Tracking;

// A stream's chunks, first in the relay's chain: the provider's answer as it came (placeholders, usage chunk).
internal sealed partial class ResponseMeter
{
    private const int MaxCompletionText = 1024 * 1024;

    public ChunkVerdict OnChunk(ReadOnlySpan<byte> data, ChunkFacts facts, IBufferWriter<byte> output, IBufferWriter<byte> rewritten)
    {
        if (_released)
        {
            return ChunkVerdict.Keep;
        }

        if (!_started)
        {
            _started = _sse = true;
            FirstByteTimestamp = time.GetTimestamp();
        }

        if (facts.Kind != ChunkKind.Json)
        {
            return ChunkVerdict.Keep; // [DONE], or not JSON: not ours to judge
        }

        if (_model is null && !facts.Model.IsEmpty)
        {
            _model = facts.Model.ReadString(data);
        }

        if (!facts.UsageToken.IsEmpty)
        {
            Usage = UsageCounts.Read(facts.UsageToken.Of(data));
        }

        if (facts.ErrorCode is { } code)
        {
            StreamError = code;
        }

        foreach (var text in facts.Texts)
        {
            // The answer's words (tool-call arguments are not text the tokenizer should count as such).
            if (text.Kind != ChunkTextKind.ToolArguments && (_text ??= new StringBuilder()).Length < MaxCompletionText)
            {
                _text.Append(text.Value);
            }
        }

        return facts.IsUsageOnly && stripUsageChunk ? ChunkVerdict.Drop : ChunkVerdict.Keep;
    }

    public void OnEnd(IBufferWriter<byte> output)
    {
    }
}
