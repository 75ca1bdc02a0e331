using System.Buffers;
using System.IO.Pipelines;
using System.Net.ServerSentEvents;
using System.Text;
using Gateway.Configuration.Model;
using Gateway.Core;
using Gateway.Guardrails;
using Gateway.Streaming;
using Gateway.Tests.Support;
using Gateway.Tracking;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Streaming;

/// <summary>
/// The one stream relay: a provider's events read once, through the chain of chunk stages in order, framed
/// once for the caller; whatever the reads' cuts, the caller gets the same bytes.
/// </summary>
public sealed class StreamRelayTests
{
    private const string Email = "jane.doe@example.com";

    private static string Chunk(string content, string? finish = null) =>
        $$"""data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"{{content}}"},"logprobs":null,"finish_reason":{{(finish is null ? "null" : $"\"{finish}\"")}}}],"usage":null}""" + "\n\n";

    private static readonly string Recorded = string.Concat(
        Chunk(""), Chunk("Write to <EMA"), Chunk("IL_1> or bob@"), Chunk("corp.example.org"), Chunk(" today."), Chunk("", "stop"),
        """data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":6,"total_tokens":15}}""" + "\n\n",
        "data: [DONE]\n\n");

    private static (ResponseMeter Meter, ResponseGuard Guard) Stages()
    {
        var guardrails = new EndpointGuardrails([new CompiledGuardrail("pii", new GuardrailConfig { Entities = ["EMAIL"], Action = "mask", Direction = "both" })]);
        var run = new GuardrailRun(guardrails);
        run.Vault.PlaceholderFor("EMAIL", Email);
        var response = new DefaultHttpContext().Response;
        return (new ResponseMeter(Stream.Null, () => true, TimeProvider.System, 4096, stripUsageChunk: true),
            new ResponseGuard(Stream.Null, response, run, EndpointKind.Chat));
    }

    [Fact]
    public async Task A_recorded_stream_cut_at_every_byte_with_multi_line_data_crlf_and_comments_gives_the_caller_the_same_bytes()
    {
        // A read that brings only a comment sends a keep-alive of the gateway's own (":" and a blank line), so
        // where a cut leaves one alone the caller gets one more of those; every other byte is the same.
        static string Events(string sse) => sse.Replace(":\n\n", "", StringComparison.Ordinal);
        var wire = SseWire.Reframed(Recorded);
        var (meter, guard) = Stages();
        var expected = await RelayRun.RunAsync(new MemoryStream(wire), meter, guard);

        for (var cut = 0; cut <= wire.Length; cut++)
        {
            (meter, guard) = Stages();
            Assert.Equal(expected, Events(await RelayRun.RunAsync(new ChunkedStream(wire, cut), meter, guard)));
        }

        (meter, guard) = Stages();
        Assert.Equal(expected, Events(await RelayRun.RunAsync(ChunkedStream.OneByteAtATime(wire), meter, guard)));
        Assert.DoesNotContain(":\n\n", expected, StringComparison.Ordinal);
        Assert.Equal(new UsageCounts(9, 6, 0, 0), meter.Usage);
        Assert.Equal("Write to <EMAIL_1> or bob@corp.example.org today.", meter.CompletionText); // the provider's text, before the guard
        Assert.Contains($"Write to {Email} or ", Contents(expected), StringComparison.Ordinal);
        Assert.Contains("<EMAIL_2> today.", Contents(expected), StringComparison.Ordinal);
        Assert.DoesNotContain("\"usage\":{", expected, StringComparison.Ordinal); // kept from a caller who did not ask
        Assert.EndsWith("data: [DONE]\n\n", expected, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_stage_sees_the_event_as_the_stage_before_left_it_and_a_drop_goes_no_further()
    {
        var seen = new List<string>();
        var upper = new TestStage("upper", seen, data => data.ToUpperInvariant());
        var suffix = new TestStage("suffix", seen, data => data + "!");
        var dropper = new TestStage("dropper", seen, data => data.Contains("DROP", StringComparison.Ordinal) ? null : data);

        var output = await RelayRun.RunAsync(["data: {\"v\":\"a\"}\n\ndata: {\"v\":\"drop me\"}\n\n"], upper, suffix, dropper);

        Assert.Equal("data: {\"V\":\"A\"}!\n\n", output);
        Assert.Equal(["upper:{\"v\":\"a\"}", "suffix:{\"V\":\"A\"}", "dropper:{\"V\":\"A\"}!", "upper:{\"v\":\"drop me\"}", "suffix:{\"V\":\"DROP ME\"}", "dropper:{\"V\":\"DROP ME\"}!"], seen);
    }

    [Fact]
    public async Task Events_a_stage_writes_itself_go_out_first_and_later_stages_do_not_see_them()
    {
        var seen = new List<string>();
        var announcer = new TestStage("announcer", seen, data => data) { Before = "note" };
        var later = new TestStage("later", seen, data => data);

        var output = await RelayRun.RunAsync(["event: custom\ndata: {}\n\n"], announcer, later);

        Assert.Equal("data: note\n\nevent: custom\ndata: {}\n\n", output);
        Assert.Equal(["announcer:{}", "later:{}"], seen);
    }

    [Fact]
    public async Task What_a_stage_holds_goes_out_at_the_end_but_an_answer_that_was_no_stream_ends_no_stage()
    {
        var sink = new MemoryStream();
        var client = PipeWriter.Create(sink);
        var holder = new TestStage("holder", [], data => data) { AtEnd = "held" };

        await new StreamRelay(client, [holder]).CompleteAsync(CancellationToken.None);
        var relay = new StreamRelay(client, [holder]);
        relay.WriteJson(1, static (json, n) => json.WriteNumberValue(n));
        await relay.CompleteAsync(CancellationToken.None);
        await client.CompleteAsync();

        Assert.Equal(1, holder.Ends);
        Assert.Equal("data: 1\n\ndata: held\n\n", Encoding.UTF8.GetString(sink.ToArray()));
    }

    [Fact]
    public async Task Events_of_one_read_reach_the_caller_before_the_next_read_waits()
    {
        var sink = new MemoryStream();
        var client = PipeWriter.Create(sink);
        var relay = new StreamRelay(client, [new TestStage("any", [], data => data)]);
        var reads = new List<string>();
        var provider = new ReadWatchingStream(["data: {\"n\":1}\n\ndata: {\"n\":2}\n\n", "data: {\"n\":3}\n\n"], () => reads.Add(Encoding.UTF8.GetString(sink.ToArray())));

        Assert.False((await relay.RelayAsync(provider, RelayRun.Malformed, CancellationToken.None)).CallerGone);

        Assert.Equal("", reads[0]);
        Assert.Equal("data: {\"n\":1}\n\ndata: {\"n\":2}\n\n", reads[1]);
        Assert.Equal("data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: {\"n\":3}\n\n", reads[^1]);
    }

    [Fact]
    public async Task A_read_that_brings_only_a_keep_alive_comment_sends_the_caller_one_and_a_comment_beside_an_event_does_not()
    {
        var sink = new MemoryStream();
        var client = PipeWriter.Create(sink);
        var relay = new StreamRelay(client, [new TestStage("any", [], data => data)]);
        var provider = new ReadWatchingStream([": OPENROUTER PROCESSING\n\n", ": ping\n\ndata: {}\n\n", "data: [DONE]\n\n: trailing", "\n\n"], () => { });

        Assert.False((await relay.RelayAsync(provider, RelayRun.Malformed, CancellationToken.None)).CallerGone);

        Assert.Equal(":\n\ndata: {}\n\ndata: [DONE]\n\n", Encoding.UTF8.GetString(sink.ToArray()));
    }

    [Fact]
    public async Task A_relay_that_failed_ends_the_stream_with_the_error_past_its_stages_and_nothing_after()
    {
        var sink = new MemoryStream();
        var client = PipeWriter.Create(sink);
        var holder = new TestStage("holder", [], data => data) { AtEnd = "held" };
        var relay = new StreamRelay(client, [holder]);
        relay.Write("1"u8);

        await relay.FailAsync(Gateway.Errors.GatewayErrors.Internal("req-1"), CancellationToken.None);
        await relay.CompleteAsync(CancellationToken.None);

        var output = Encoding.UTF8.GetString(sink.ToArray());
        Assert.StartsWith("data: 1\n\ndata: {\"error\":", output, StringComparison.Ordinal);
        Assert.EndsWith("}\n\n", output, StringComparison.Ordinal);
        Assert.Equal(0, holder.Ends);
    }

    [Fact]
    public async Task A_caller_that_went_away_stops_the_relay()
    {
        using var gone = new CancellationTokenSource();
        var sink = new MemoryStream();
        var relay = new StreamRelay(PipeWriter.Create(sink), [new TestStage("any", [], data => data)]);
        var provider = new ReadWatchingStream(["data: {}\n\n", "data: {}\n\n"], gone.Cancel);

        Assert.True((await relay.RelayAsync(provider, RelayRun.Malformed, gone.Token)).CallerGone);
    }

    [Fact]
    public async Task A_malformed_first_event_writes_nothing_and_says_it_came_before_the_start()
    {
        var seen = new List<string>();
        var sink = new MemoryStream();
        var client = PipeWriter.Create(sink);
        var relay = new StreamRelay(client, [new TestStage("stage", seen, data => data)]);

        var result = await relay.RelayAsync(new MemoryStream("data: <html>\n\ndata: {}\n\n"u8.ToArray()), RelayRun.Malformed, CancellationToken.None);
        await relay.CompleteAsync(CancellationToken.None);
        await client.CompleteAsync();

        Assert.Equal(("upstream_protocol_error", true), (result.EndedWith?.Code, result.BeforeStart));
        Assert.Empty(sink.ToArray());
        Assert.Empty(seen);
    }

    [Fact]
    public async Task Well_formed_events_dotnet_cannot_decode_empty_events_and_a_spaced_done_are_no_protocol_error()
    {
        const string surrogate = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\ud800\"}}]}\n\n";

        var output = await RelayRun.RunAsync([surrogate + "data:\n\n" + "data: [DONE] \n\n"], new TestStage("any", [], data => data));

        Assert.Equal(surrogate + "data: [DONE] \n\n", output);
    }

    [Theory]
    [InlineData("data: {\"id\": \"chatcmpl-broken\", \"choices\": [\n\n")]
    [InlineData("data: not json\n\n")]
    [InlineData("data: {\"a\":1} {\"b\":2}\n\n")]
    [InlineData("data: \"just a string\"\n\n")]
    public async Task A_provider_event_that_is_not_one_json_object_never_reaches_the_caller_and_ends_the_stream(string bad)
    {
        var seen = new List<string>();
        var stage = new TestStage("stage", seen, data => data);
        var first = "data: {\"n\":1}\n\n";

        var sink = new MemoryStream();
        var client = PipeWriter.Create(sink);
        var relay = new StreamRelay(client, [stage]);
        var result = await relay.RelayAsync(new MemoryStream(Encoding.UTF8.GetBytes(first + bad + "data: {\"n\":2}\n\ndata: [DONE]\n\n")), RelayRun.Malformed, CancellationToken.None);
        await client.CompleteAsync();
        var output = Encoding.UTF8.GetString(sink.ToArray());

        Assert.Equal("upstream_protocol_error", result.EndedWith?.Code);
        Assert.StartsWith(first + "data: {\"error\":", output, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"upstream_protocol_error\"", output, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\"n\":2", output, StringComparison.Ordinal);
        Assert.Equal(2, seen.Count); // the first event, then the error as the stage's chunk
        Assert.StartsWith("stage:{\"error\":", seen[1], StringComparison.Ordinal);
    }

    private static string Contents(string sse)
    {
        var text = new StringBuilder();
        foreach (var item in SseParser.Create(new MemoryStream(Encoding.UTF8.GetBytes(sse))).Enumerate().Where(i => i.Data.StartsWith('{')))
        {
            using var json = System.Text.Json.JsonDocument.Parse(item.Data);
            foreach (var choice in json.RootElement.GetProperty("choices").EnumerateArray())
            {
                if (choice.GetProperty("delta").TryGetProperty("content", out var content))
                {
                    text.Append(content.GetString());
                }
            }
        }

        return text.ToString();
    }

    /// <summary>A stage that records what it saw and rewrites (or, for null, drops) each event's data as text.</summary>
    private sealed class TestStage(string name, List<string> seen, Func<string, string?> rewrite) : IChunkStage
    {
        public string? Before { get; init; }

        public string? AtEnd { get; init; }

        public int Ends { get; private set; }

        public ChunkVerdict OnChunk(ReadOnlySpan<byte> data, ChunkFacts facts, IBufferWriter<byte> output, IBufferWriter<byte> rewritten)
        {
            var text = Encoding.UTF8.GetString(data);
            seen.Add($"{name}:{text}");
            if (Before is not null)
            {
                SseWriting.WriteEvent(output, Encoding.UTF8.GetBytes(Before));
            }

            var result = rewrite(text);
            if (result is null)
            {
                return ChunkVerdict.Drop;
            }

            if (result == text)
            {
                return ChunkVerdict.Keep;
            }

            rewritten.Write(Encoding.UTF8.GetBytes(result));
            return ChunkVerdict.Rewritten;
        }

        public void OnEnd(IBufferWriter<byte> output)
        {
            Ends++;
            if (AtEnd is not null)
            {
                SseWriting.WriteEvent(output, Encoding.UTF8.GetBytes(AtEnd));
            }
        }
    }

    /// <summary>A provider's stream that hands out one piece per read and calls back as each read begins.</summary>
    private sealed class ReadWatchingStream(string[] pieces, Action onRead) : Stream
    {
        private int _next;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            onRead();
            cancellationToken.ThrowIfCancellationRequested();
            if (_next == pieces.Length)
            {
                return ValueTask.FromResult(0);
            }

            var bytes = Encoding.UTF8.GetBytes(pieces[_next++]);
            bytes.CopyTo(buffer);
            return ValueTask.FromResult(bytes.Length);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
