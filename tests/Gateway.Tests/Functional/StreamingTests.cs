using System.ClientModel;
using System.Text.Json;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;
using OpenAI.Chat;

namespace Gateway.Tests.Functional;

/// <summary>Streams are relayed chunk by chunk as they arrive, and a client that leaves cancels the upstream call.</summary>
public sealed class StreamingTests : UpstreamGatewayTest
{

    [Fact]
    public async Task First_chunks_reach_the_client_while_the_upstream_is_still_holding_the_rest()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Upstream.Enqueue(new Fault.StreamGate(gate));
        using var response = await Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat", stream: true), TestConfigs.AliceKey), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        // The upstream has sent two chunks and is waiting on the gate: the gateway must already have relayed them.
        var first = await reader.ReadLineAsync().WaitAsync(GatewayHost.Bound);
        await reader.ReadLineAsync().WaitAsync(GatewayHost.Bound);
        var second = await reader.ReadLineAsync().WaitAsync(GatewayHost.Bound);
        gate.SetResult();
        var rest = await reader.ReadToEndAsync().WaitAsync(GatewayHost.Bound);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"role\":\"assistant\"", first, StringComparison.Ordinal);
        Assert.Contains("\"content\":\"Hello\"", second, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", rest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_disconnect_cancels_the_upstream_request()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Upstream.Enqueue(new Fault.StreamGate(gate));
        await Http.AbandonStreamAfterFirstLineAsync(Gateway.Client, Http.Post("/v1/chat/completions", Http.Chat("chat", stream: true), TestConfigs.AliceKey));

        await Assert.Single(Upstream.Requests).Aborted.WaitAsync(GatewayHost.Bound);
    }

    [Fact]
    public async Task Truncated_upstream_stream_never_looks_complete_and_ends_with_an_error_event()
    {
        Upstream.Enqueue(new Fault.TruncatedStreamAfter(3));
        Upstream.Enqueue(new Fault.TruncatedStreamAfter(3));
        var chat = Gateway.Sdk(TestConfigs.AliceKey).GetChatClient("chat");
        var received = new List<StreamingChatCompletionUpdate>();

        // The .NET SDK ends quietly at an error event (the Python and JS SDKs raise): no finish reason, no usage.
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("hi")]).WithCancellation(new CancellationTokenSource(GatewayHost.Bound).Token))
        {
            received.Add(update);
        }

        using var response = await Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat", stream: true), TestConfigs.AliceKey));
        var lastEvent = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[^1];

        Assert.NotEmpty(received);
        Assert.DoesNotContain(received, u => u.FinishReason is not null);
        Assert.StartsWith("data: {\"error\":", lastEvent, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"upstream_stream_interrupted\"", lastEvent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_upstream_chunk_never_reaches_the_client_and_ends_the_stream_with_a_protocol_error()
    {
        Upstream.Enqueue(new Fault.MalformedChunk(2));

        using var response = await Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat", stream: true), TestConfigs.AliceKey));
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(3, events.Length); // the two good chunks, then the error
        Assert.All(events[..2], e => Assert.StartsWith("data: {\"id\":\"chatcmpl-", e, StringComparison.Ordinal));
        Assert.StartsWith("data: {\"error\":", events[2], StringComparison.Ordinal);
        Assert.Contains("\"code\":\"upstream_protocol_error\"", events[2], StringComparison.Ordinal);
        Assert.DoesNotContain(events, e => e.Contains("chatcmpl-broken", StringComparison.Ordinal) || e.Contains("[DONE]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_malformed_first_upstream_chunk_fails_the_attempt_before_the_answer_starts()
    {
        Upstream.Enqueue(new Fault.MalformedChunk(0));

        using var response = await Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat", stream: true), TestConfigs.AliceKey));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(502, (int)response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.Equal("upstream_protocol_error", JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.True(response.Headers.Contains("x-request-id"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OpenAIs_node_sdk_raises_the_gateways_api_error_at_a_malformed_upstream_chunk_not_a_syntax_error(bool malformed)
    {
        // Without the relay's check the SDK throws "SyntaxError: Error reading response: malformed server-sent event JSON".
        if (malformed)
        {
            Upstream.Enqueue(new Fault.MalformedChunk(2));
        }

        var result = await NodeSdk.RunAsync("openai-stream.mjs", new Dictionary<string, string>
        {
            ["OPENAI_BASE_URL"] = Gateway.ApiBase.ToString(),
            ["OPENAI_API_KEY"] = TestConfigs.AliceKey,
            ["OPENAI_MODEL"] = "chat",
        });

        if (!malformed)
        {
            Assert.Equal(JsonValueKind.Null, result.GetProperty("error").ValueKind);
            Assert.Equal("stop", result.GetProperty("finishReason").GetString());
            return;
        }

        var error = result.GetProperty("error");
        Assert.Equal("APIError", error.GetProperty("name").GetString());
        Assert.Equal("upstream_protocol_error", error.GetProperty("code").GetString());
        Assert.Contains("is not one JSON object", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, result.GetProperty("chunks").GetInt32()); // what came before the bad chunk was read
    }

    [Fact]
    public async Task Upstream_error_before_the_stream_starts_reaches_the_sdk_with_its_status()
    {
        Upstream.Enqueue(new Fault.Status(500));
        var chat = Gateway.Sdk(TestConfigs.AliceKey).GetChatClient("chat");

        var error = await Assert.ThrowsAsync<ClientResultException>(async () =>
        {
            await foreach (var _ in chat.CompleteChatStreamingAsync([new UserChatMessage("hi")], new ChatCompletionOptions(), default))
            {
            }
        });

        Assert.Equal(500, error.Status);
    }
}
