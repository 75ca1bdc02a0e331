using System.Text;
using Gateway.Tests.Support;
using Gateway.Tracking;

namespace Gateway.Tests.Tracking;

/// <summary>The meter on the answer: usage and model read off OpenAI-format answers (a stream's chunks in the relay, a JSON answer on the body), passed on untouched except the usage chunk it was told to keep back.</summary>
public sealed class ResponseMeterTests
{
    private const string Usage = """{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}""";

    private static readonly string Stream = string.Concat(
        """data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":null}""", "\n\n",
        """data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"Hello \"usage\": {"}}],"usage":null}""", "\n\n",
        """data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"world"},"finish_reason":"stop"}],"usage":null}""", "\n\n",
        $$"""data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06","choices":[],"usage":{{Usage}}}""", "\n\n",
        "data: [DONE]\n\n");

    private static (ResponseMeter Meter, MemoryStream Client) Meter(bool sse, bool strip = false, int capture = 100)
    {
        var client = new MemoryStream();
        return (new ResponseMeter(client, () => sse, TimeProvider.System, capture, strip), client);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(100_000)]
    public async Task A_stream_in_any_slicing_reaches_the_client_whole_and_its_usage_is_read(int sliceSize)
    {
        var (meter, _) = Meter(sse: true);

        var output = await RelayRun.RunAsync(Slices(Stream, sliceSize), meter);

        Assert.Equal(Stream, output);
        Assert.Equal(new UsageCounts(12, 5, 4, 2), meter.Usage);
        Assert.Equal("gpt-4o-2024-08-06", meter.Model);
        Assert.Equal("Hello \"usage\": {world", meter.CompletionText);
        Assert.NotNull(meter.FirstByteTimestamp);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(50)]
    [InlineData(100_000)]
    public async Task The_usage_chunk_asked_for_the_trace_alone_is_kept_from_the_client(int sliceSize)
    {
        var (meter, _) = Meter(sse: true, strip: true);

        var output = await RelayRun.RunAsync(Slices(Stream, sliceSize), meter);

        var expected = Stream.Replace($$"""data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06","choices":[],"usage":{{Usage}}}""" + "\n\n", "", StringComparison.Ordinal);
        Assert.Equal(expected, output);
        Assert.Equal(new UsageCounts(12, 5, 4, 2), meter.Usage);
    }

    [Fact]
    public async Task A_last_event_cut_short_ends_the_stream_with_a_protocol_error_the_meter_notes()
    {
        var (meter, _) = Meter(sse: true);

        var output = await RelayRun.RunAsync(["data: {\"choices\":[]}\n\ndata: {\"trunc"], meter);

        Assert.StartsWith("data: {\"choices\":[]}\n\ndata: {\"error\":", output, StringComparison.Ordinal);
        Assert.DoesNotContain("trunc", output, StringComparison.Ordinal);
        Assert.Equal("upstream_protocol_error", meter.StreamError);
        Assert.Null(meter.Usage);
    }

    [Fact]
    public async Task An_event_stream_written_to_the_body_past_the_relay_is_refused()
    {
        var (meter, _) = Meter(sse: true);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await meter.WriteAsync("data: [DONE]\n\n"u8.ToArray()));
    }

    [Fact]
    public async Task A_json_answer_passes_through_and_its_model_and_usage_are_read_from_head_and_tail()
    {
        var (meter, client) = Meter(sse: false, capture: 30);
        var content = new string('x', 40_000) + "\\\"usage\\\": {\\\"prompt_tokens\\\": 999}";
        var json = $$"""{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"{{content}}"},"finish_reason":"stop"}],"usage":{{Usage}},"system_fingerprint":"fp_1"}""";
        var bytes = Encoding.UTF8.GetBytes(json);

        await meter.WriteAsync(bytes.AsMemory(0, 1000));
        await meter.WriteAsync(bytes.AsMemory(1000));
        meter.Complete();

        Assert.Equal(json, Encoding.UTF8.GetString(client.ToArray()));
        Assert.Equal(new UsageCounts(12, 5, 4, 2), meter.Usage);
        Assert.Equal("gpt-4o-mini-2024-07-18", meter.Model);
        Assert.Equal(json[..30], meter.Captured(30));
    }

    [Fact]
    public async Task An_embeddings_answer_names_its_model_after_the_data()
    {
        var (meter, _) = Meter(sse: false);
        var json = $$$"""{"object":"list","data":[{"object":"embedding","index":0,"embedding":[{{{string.Join(",", Enumerable.Repeat("0.0123", 3000))}}}]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}""";

        await meter.WriteAsync(Encoding.UTF8.GetBytes(json));
        meter.Complete();

        Assert.Equal(("text-embedding-3-small", new UsageCounts(8, 0, 0, 0)), (meter.Model, meter.Usage));
    }

    [Fact]
    public async Task An_error_event_in_a_stream_is_noted()
    {
        var (meter, _) = Meter(sse: true);

        await RelayRun.RunAsync(["data: {\"error\":{\"message\":\"Overloaded\",\"type\":\"upstream_error\",\"code\":\"upstream_stream_broken\"}}\n\n"], meter);

        Assert.Equal("upstream_stream_broken", meter.StreamError);
    }

    private static IEnumerable<string> Slices(string text, int size)
    {
        for (var i = 0; i < text.Length; i += size)
        {
            yield return text.Substring(i, Math.Min(size, text.Length - i));
        }
    }
}
