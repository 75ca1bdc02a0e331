using System.Text;
using Gateway.Errors;
using Gateway.Streaming;
using Gateway.Tests.Support;

namespace Gateway.Tests.Streaming;

/// <summary>
/// A provider's JSON answer checked on its way: the caller gets exactly its bytes when it is one JSON object, and
/// nothing at all when it is not (so the attempt can fail before the answer starts), whatever the reads' cuts.
/// </summary>
public sealed class JsonAnswerRelayTests
{
    private const string Answer = """{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hi \"there\" \u00e9"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}""";

    private static readonly GatewayError Malformed = GatewayErrors.UpstreamProtocol("upstream", "gpt-4o-mini", "its answer is not one JSON object");

    private static async Task<(RelayResult Result, string Sent)> RelayAsync(Stream provider, int heldBytes = JsonAnswerRelay.HeldBytes)
    {
        using var client = new MemoryStream();
        var result = await JsonAnswerRelay.RelayAsync(provider, client, () => Malformed,
            exception => GatewayErrors.StreamBrokenOff("upstream", exception.Message), CancellationToken.None, heldBytes);
        return (result, Encoding.UTF8.GetString(client.ToArray()));
    }

    [Fact]
    public async Task A_json_answer_reaches_the_caller_byte_for_byte_whatever_the_cut()
    {
        var bytes = Encoding.UTF8.GetBytes(Answer + "\n");
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            var (result, sent) = await RelayAsync(new ChunkedStream(bytes, cut));

            Assert.Null(result.EndedWith);
            Assert.Equal(Answer + "\n", sent);
        }
    }

    [Theory]
    [InlineData("<html><body>502 Bad Gateway</body></html>")]
    [InlineData("")]
    [InlineData("""{"id":"chatcmpl-1","choices":[""")] // cut short
    [InlineData("""{"id":"chatcmpl-1"} {"id":"chatcmpl-2"}""")] // two values
    [InlineData("""{"id":"chatcmpl-1"}garbage""")]
    [InlineData("""["not","an","object"]""")]
    [InlineData("\"just a string\"")]
    public async Task An_answer_that_is_not_one_json_object_sends_nothing_and_fails_before_the_start(string body)
    {
        var (result, sent) = await RelayAsync(ChunkedStream.OneByteAtATime(Encoding.UTF8.GetBytes(body)));

        Assert.Same(Malformed, result.EndedWith);
        Assert.True(result.BeforeStart);
        Assert.Equal("", sent);
    }

    [Fact]
    public async Task A_large_answer_goes_on_as_it_is_checked_and_one_broken_past_the_held_part_ends_with_the_error()
    {
        var whole = "{\"data\":[" + string.Join(',', Enumerable.Range(0, 2000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]}";
        var (ok, sentWhole) = await RelayAsync(new ChunkedStream(Encoding.UTF8.GetBytes(whole), 100, 3000, 6000), heldBytes: 1024);
        Assert.Null(ok.EndedWith);
        Assert.Equal(whole, sentWhole);

        var cut = whole[..^5];
        var (broken, sentCut) = await RelayAsync(new ChunkedStream(Encoding.UTF8.GetBytes(cut), 100, 3000, 6000), heldBytes: 1024);

        Assert.Same(Malformed, broken.EndedWith);
        Assert.False(broken.BeforeStart); // the caller has part of it: the provider resets the connection
        Assert.StartsWith(sentCut, cut, StringComparison.Ordinal);
        Assert.True(sentCut.Length > 1024);
    }

    [Fact]
    public async Task Past_its_parsed_part_a_large_answer_must_still_end_with_its_object()
    {
        var numbers = string.Join(',', Enumerable.Range(0, 3000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(numbers.Length > JsonAnswerRelay.ParsedBytes);

        var (result, sent) = await RelayAsync(new ChunkedStream(Encoding.UTF8.GetBytes("{\"data\":[" + numbers + "]}<html>"), 4000, 9000));

        Assert.Same(Malformed, result.EndedWith);
        Assert.True(result.BeforeStart);
        Assert.Equal("", sent);
    }

    [Fact]
    public async Task A_read_that_fails_before_anything_went_out_fails_before_the_start()
    {
        var (result, sent) = await RelayAsync(new FailingStream(Encoding.UTF8.GetBytes(Answer[..40])));

        Assert.Equal("upstream_stream_interrupted", result.EndedWith?.Code);
        Assert.True(result.BeforeStart);
        Assert.Equal("", sent);
    }

    /// <summary>Hands out its bytes, then fails the next read as a reset connection does.</summary>
    private sealed class FailingStream(byte[] bytes) : Stream
    {
        private bool _served;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_served)
            {
                throw new IOException("Connection reset by peer");
            }

            _served = true;
            bytes.CopyTo(buffer, offset);
            return bytes.Length;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
