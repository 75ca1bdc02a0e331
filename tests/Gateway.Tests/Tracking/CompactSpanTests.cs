using System.Diagnostics;
using System.Text;
using Gateway.Tracking;

namespace Gateway.Tests.Tracking;

/// <summary>What the request path keeps of a span and a preview comes back whole on the writer.</summary>
public sealed class CompactSpanTests
{
    [Fact]
    public void A_span_kept_compact_expands_to_the_record_the_store_keeps()
    {
        using var parent = new Activity("gateway chat").SetIdFormat(ActivityIdFormat.W3C).Start();
        var child = new Activity("chat gpt-4o-mini").SetIdFormat(ActivityIdFormat.W3C).Start();
        child.SetTag("gen_ai.request.model", "gpt-4o-mini").SetTag("gateway.attempt", 2).SetTag("gateway.time_to_first_token_ms", 1.5);
        child.SetStatus(ActivityStatusCode.Error, "upstream_timeout");
        child.Stop();

        var record = CompactSpan.Of(child).Expand();

        Assert.Equal(("chat gpt-4o-mini", child.SpanId.ToHexString(), parent.SpanId.ToHexString(), "ERROR"), (record.Name, record.SpanId, record.ParentSpanId, record.Status));
        Assert.Equal((child.StartTimeUtc - DateTime.UnixEpoch).Ticks / 10, record.StartedAtUs);
        Assert.Equal(child.Duration.TotalMilliseconds, record.DurationMs);
        Assert.Equal(new Dictionary<string, object?> { ["gen_ai.request.model"] = "gpt-4o-mini", ["gateway.attempt"] = 2, ["gateway.time_to_first_token_ms"] = 1.5 }, record.Attributes);
    }

    [Fact]
    public void A_root_span_has_no_parent_and_a_span_without_tags_no_attributes()
    {
        var root = new Activity("gateway chat").SetIdFormat(ActivityIdFormat.W3C).Start();
        root.Stop();

        var record = CompactSpan.Of(root).Expand();

        Assert.Equal((null, "UNSET"), (record.ParentSpanId, record.Status));
        Assert.Empty(record.Attributes);
    }

    [Theory]
    [InlineData("{\"a\":\"plain ascii\"}", 5)]
    [InlineData("{\"a\":\"héllo wörld\"}", 10)]
    [InlineData("{\"a\":\"😀😀😀\"}", 9)]
    [InlineData("short", 100)]
    public void A_preview_kept_as_bytes_decodes_to_the_same_text_as_the_string_preview(string text, int maxChars)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);

        var length = Utf8Text.PrefixLength(utf8, maxChars);

        Assert.Equal(Utf8Text.Prefix(utf8, maxChars), Encoding.UTF8.GetString(utf8, 0, length));
        Assert.True(Encoding.UTF8.GetString(utf8, 0, length).Length <= maxChars);
    }

    [Fact]
    public void Completing_a_record_with_an_estimate_keeps_its_packed_spans_and_preview()
    {
        var span = new Activity("chat mock").SetIdFormat(ActivityIdFormat.W3C).Start();
        span.Stop();
        var body = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}"u8.ToArray();
        var record = new TraceRecord
        {
            RequestId = "r", TraceId = "t", SpanId = "s", StartedAtUs = 1, DurationMs = 1, State = "OK", StatusCode = 200, Operation = "chat",
            PendingSpans = [CompactSpan.Of(span)],
            PendingRequestBody = body,
            Estimate = new PendingEstimate(body, Gateway.Core.EndpointKind.Chat, Gateway.Inbound.OpenAi.OpenAiRequestReader.Instance, "general kenobi"),
        };

        var completed = new TokenEstimator().Complete(record);

        Assert.Equal("chat mock", Assert.Single(Gateway.Tracking.Store.TracePacking.UnpackSpans(completed.PackedSpans!)).Name);
        Assert.Equal(Encoding.UTF8.GetString(body), completed.RequestBody);
        Assert.True(completed.UsageEstimated);
        Assert.True(completed.PromptTokens > 0 && completed.CompletionTokens > 0);
        Assert.Null(completed.PendingSpans);
        Assert.Null(completed.PendingRequestBody);
    }

    [Fact]
    public void Spans_packed_straight_from_the_request_path_are_the_bytes_the_expanded_records_pack_to()
    {
        var root = new Activity("chat chat").SetIdFormat(ActivityIdFormat.W3C).Start();
        root.SetTag("gateway.endpoint", "chat").SetTag("gateway.attempt", 2).SetTag("gen_ai.usage.input_tokens", 12L)
            .SetTag("gateway.guardrail.busy_ms", 0.125).SetTag("gateway.guardrail.blocked", false).SetTag("error.type", null)
            .SetTag("~mine", "a caller's own name that starts with ~").SetTag("custom.quote", "say \"<hi>\" é").SetTag("gateway.guardrail.entities", new[] { "EMAIL", "PHONE" });
        root.SetStatus(ActivityStatusCode.Error);
        var child = new Activity("chat gpt-4o-mini").SetIdFormat(ActivityIdFormat.W3C).SetParentId(root.TraceId, root.SpanId).Start();
        child.SetStatus(ActivityStatusCode.Ok);
        child.Stop();
        root.Stop();
        CompactSpan[] spans = [CompactSpan.Of(root), CompactSpan.Of(child)];

        var direct = Gateway.Tracking.Store.TracePacking.PackSpans(spans);

        Assert.Equal(Gateway.Tracking.Store.TracePacking.PackSpans(CompactSpan.Expand(spans)), direct);
        var read = Gateway.Tracking.Store.TracePacking.UnpackSpans(direct);
        Assert.Equal(root.SpanId.ToHexString(), read[1].ParentSpanId);
        Assert.Equal("a caller's own name that starts with ~", read[0].Attributes["~mine"]?.ToString());
    }
}
