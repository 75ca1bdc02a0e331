using Gateway.Configuration.Model;
using Gateway.Tracking;

namespace Gateway.Tests.Tracking;

public sealed class PricingTests
{
    [Fact]
    public void Cost_splits_cached_prompt_tokens_and_rounds_once_to_nano_usd()
    {
        var price = new ModelPrice { Input = 2.50m, Output = 10.00m, CachedInput = 1.25m };

        // 1,000 prompt tokens of which 400 cached, 300 completion tokens:
        // 600 × $2.50/1M + 400 × $1.25/1M + 300 × $10/1M = $0.0015 + $0.0005 + $0.003 = $0.005 = 5,000,000 nano-USD.
        Assert.Equal(5_000_000, Pricing.CostNanoUsd(price, 1000, 300, 400));
        // Without a cached price, cached tokens cost the input price: 7 × $0.15/1M = 1.05 µUSD = 1,050 nano-USD.
        Assert.Equal(1_050, Pricing.CostNanoUsd(new ModelPrice { Input = 0.15m, Output = 0.6m }, 7, 0, 7));
        // $0.0375/1M × 3 tokens = 112.5 nano-USD: rounded half away from zero, once per request.
        Assert.Equal(113, Pricing.CostNanoUsd(new ModelPrice { Input = 0.0375m, Output = 0 }, 3, 0, 0));
    }

    [Fact]
    public void The_price_of_provider_and_model_comes_before_the_model_and_then_the_answered_snapshot()
    {
        var config = new GatewayConfig
        {
            Pricing = new Dictionary<string, ModelPrice>
            {
                ["azure/gpt-4o"] = new() { Input = 5 },
                ["gpt-4o"] = new() { Input = 2.5m },
                ["gpt-4o-2024-08-06"] = new() { Input = 2.4m },
            },
        };

        Assert.Equal(5, Pricing.Find(config, "azure", "gpt-4o", null)!.Input);
        Assert.Equal(2.5m, Pricing.Find(config, "openai", "gpt-4o", "gpt-4o-2024-08-06")!.Input);
        Assert.Equal(2.4m, Pricing.Find(config, "openai", "my-deployment", "gpt-4o-2024-08-06")!.Input);
        Assert.Null(Pricing.Find(config, "openai", "o3", "o3-2025-04-16"));
    }
}

public sealed class TraceJournalTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-journal-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Batches_are_replayed_oldest_first_and_deleted_once_written()
    {
        using var journal = new TraceJournal(_directory);
        journal.Append([TraceStoreContract.Trace(1), TraceStoreContract.Trace(2)]);
        journal.Append([TraceStoreContract.Trace(3)]);
        var written = new List<string>();

        await journal.ReplayAsync(batch =>
        {
            written.AddRange(batch.Select(t => t.RequestId));
            return Task.CompletedTask;
        }, batchSize: 2);

        Assert.Equal([1, 2, 3], written.Select(id => int.Parse(id[..8], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.False(journal.HasPending);
    }

    [Fact]
    public async Task A_failed_replay_keeps_the_journal_and_a_torn_last_line_is_skipped()
    {
        using (var journal = new TraceJournal(_directory))
        {
            journal.Append([TraceStoreContract.Trace(1), TraceStoreContract.Trace(2)]);
        }

        // A crash in the middle of appending the next batch.
        var segment = Directory.GetFiles(_directory).Single();
        await File.AppendAllTextAsync(segment, "{\"request_id\":\"0000000");
        using var reopened = new TraceJournal(_directory);

        await Assert.ThrowsAsync<TimeoutException>(() => reopened.ReplayAsync(_ => throw new TimeoutException("store down"), batchSize: 10));
        Assert.True(reopened.HasPending);

        var written = new List<TraceRecord>();
        await reopened.ReplayAsync(batch =>
        {
            written.AddRange(batch);
            return Task.CompletedTask;
        }, batchSize: 10);
        Assert.Equal([TraceStoreContract.Trace(1).RequestId, TraceStoreContract.Trace(2).RequestId], written.Select(t => t.RequestId));
        Assert.Equal(TraceStoreContract.Trace(2).CostNanoUsd, written[1].CostNanoUsd);
        Assert.Equal(TraceStoreContract.Trace(2).Groups, written[1].Groups);
    }
}

public sealed class TracePackingTests
{
    [Fact]
    public void Packed_spans_read_back_equal_and_take_a_fraction_of_their_json()
    {
        var spans = Enumerable.Range(0, 6).Select(i => new SpanRecord($"stage {i}", $"{i:D16}", i == 0 ? null : $"{0:D16}", 1_000 + i, 0.25 * i, "OK",
            new Dictionary<string, object?> { ["gen_ai.request.model"] = "gpt-4o-mini", ["gateway.endpoint"] = "chat", ["gateway.attempt"] = i })).ToArray();
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes<IReadOnlyList<SpanRecord>>(spans, TrackingJson.Default.IReadOnlyListSpanRecord);

        var packed = Gateway.Tracking.Store.TracePacking.PackSpans(spans);
        var read = Gateway.Tracking.Store.TracePacking.UnpackSpans(packed);

        Assert.Equal(spans.Select(s => (s.Name, s.SpanId, s.ParentSpanId, s.StartedAtUs, s.DurationMs)), read.Select(s => (s.Name, s.SpanId, s.ParentSpanId, s.StartedAtUs, s.DurationMs)));
        Assert.Equal("gpt-4o-mini", read[5].Attributes["gen_ai.request.model"]?.ToString());
        Assert.True(packed.Length * 3 < json.Length, $"packed {packed.Length} B of {json.Length} B of JSON");
    }

    [Fact]
    public void Attribute_names_of_any_kind_and_start_times_read_back_exactly()
    {
        var attributes = new Dictionary<string, object?> { ["gateway.endpoint"] = "chat", ["my.own"] = "a", ["~0"] = "tilde", ["~~x"] = 2, ["~"] = null };
        var spans = new[]
        {
            new SpanRecord("gateway chat", "aaaaaaaaaaaaaaaa", null, 1_796_281_672_583_446, 12.4185, "OK", attributes),
            new SpanRecord("auth", "bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa", 1_796_281_672_583_440, 0.0213, "UNSET", new Dictionary<string, object?>()),
        };

        var read = Gateway.Tracking.Store.TracePacking.UnpackSpans(Gateway.Tracking.Store.TracePacking.PackSpans(spans));

        Assert.Equal(attributes.Keys, read[0].Attributes.Keys);
        Assert.Equal("tilde", read[0].Attributes["~0"]?.ToString());
        Assert.Equal([1_796_281_672_583_446, 1_796_281_672_583_440], read.Select(s => s.StartedAtUs));
    }

    [Fact]
    public void Spans_packed_by_the_first_format_still_read()
    {
        var json = System.Text.Encoding.UTF8.GetBytes("""[{"name":"auth","span_id":"bbbbbbbbbbbbbbbb","parent_span_id":null,"started_at_us":5,"duration_ms":1,"status":"OK","attributes":{"gateway.key_id":"k1"}}]""");
        var compressed = new byte[System.IO.Compression.BrotliEncoder.GetMaxCompressedLength(json.Length)];
        Assert.True(System.IO.Compression.BrotliEncoder.TryCompress(json, compressed, out var written));

        var read = Gateway.Tracking.Store.TracePacking.UnpackSpans([1, .. compressed.AsSpan(0, written)]);

        Assert.Equal(("auth", 5L, "k1"), (read[0].Name, read[0].StartedAtUs, read[0].Attributes["gateway.key_id"]?.ToString()));
    }

    [Fact]
    public void Bodies_pack_to_nothing_when_nothing_was_captured_and_keep_one_side_when_one_was()
    {
        Assert.Null(Gateway.Tracking.Store.TracePacking.PackBodies(null, null));

        var bodies = Gateway.Tracking.Store.TracePacking.UnpackBodies(Gateway.Tracking.Store.TracePacking.PackBodies(null, "Hello, “world” 👋")!);

        Assert.Equal(new Gateway.Tracking.Store.PackedBodies(null, "Hello, “world” 👋"), bodies);
    }

    [Fact]
    public void Long_bodies_with_quotes_and_any_script_read_back_exactly()
    {
        var request = "{\"messages\":[{\"content\":\"" + string.Concat(Enumerable.Range(0, 3000).Select(i => (char)('a' + i % 26) + "é中👋<\\\"")) + "\"}]}";
        var packed = Gateway.Tracking.Store.TracePacking.PackBodies(request, "")!;

        var bodies = Gateway.Tracking.Store.TracePacking.UnpackBodies(packed);

        Assert.Equal((request, ""), (bodies.RequestBody, bodies.ResponseBody));
        // The writer's buffer is reused row after row: a short row after a long one holds nothing of it.
        Assert.Equal(new Gateway.Tracking.Store.PackedBodies("a", null), Gateway.Tracking.Store.TracePacking.UnpackBodies(Gateway.Tracking.Store.TracePacking.PackBodies("a", null)!));
        Assert.Throws<InvalidDataException>(() => Gateway.Tracking.Store.TracePacking.UnpackBodies(Gateway.Tracking.Store.TracePacking.PackBodies(null, "x")![..^2]));
    }

    [Fact]
    public void Detail_in_a_format_this_gateway_does_not_know_is_refused_by_name()
    {
        var error = Assert.Throws<InvalidDataException>(() => Gateway.Tracking.Store.TracePacking.UnpackSpans([7, 1, 2]));

        Assert.Equal("a trace's packed detail has format 7, which this gateway does not know", error.Message);
    }
}
