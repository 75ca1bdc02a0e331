using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using FakeProviders;
using FakeProviders.Load;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.Builder;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace Gateway.Tests.LoadTesting;

/// <summary>
/// The load tests' fast upstream must be OpenAI as far as clients can tell, or the benchmark measures a
/// different workload: drive it with the official SDK, directly and through the gateway's benchmark config.
/// </summary>
public sealed class LoadTestUpstreamTests : IAsyncLifetime
{
    private readonly LoadTestUpstream _upstream = new();
    private WebApplication _app = null!;
    private Uri _root = null!;

    public async Task InitializeAsync() => (_app, _root) = await FakeServerHost.StartAsync(_upstream.Map);

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static OpenAIClient Sdk(Uri endpoint, string key = "sk-load-test") =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = endpoint, RetryPolicy = new ClientRetryPolicy(0), NetworkTimeout = GatewayHost.Bound });

    private Uri ApiBase => new(_root, "/v1");

    [Fact]
    public async Task Official_sdk_reads_a_chat_completion_with_usage()
    {
        ChatCompletion completion = await Sdk(ApiBase).GetChatClient("gpt-4o-mini").CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.StartsWith("A gateway sits between agents", completion.Content[0].Text, StringComparison.Ordinal);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(250, completion.Usage.InputTokenCount);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task Official_sdk_reads_22_chunks_then_usage_in_openai_event_order()
    {
        var updates = await StreamAsync(Sdk(ApiBase).GetChatClient("gpt-4o-mini"));

        // The SDK asks for include_usage: 22 chunks, then the usage chunk with no choices.
        Assert.Equal(LoadTestUpstream.StreamChunkCount + 1, updates.Count);
        Assert.Equal(ChatMessageRole.Assistant, updates[0].Role);
        Assert.Equal(ChatFinishReason.Stop, updates[^2].FinishReason);
        Assert.Equal(21, updates[^1].Usage.OutputTokenCount);
        Assert.EndsWith("it", string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Official_sdk_reads_1536_float_dimensions()
    {
        OpenAIEmbedding embedding = await Sdk(ApiBase).GetEmbeddingClient("text-embedding-3-small")
            .GenerateEmbeddingAsync("hi", new EmbeddingGenerationOptions());

        Assert.Equal(LoadTestUpstream.EmbeddingDimensions, embedding.ToFloats().Length);
    }

    [Fact]
    public async Task Call_without_a_key_gets_openais_401()
    {
        using var client = new HttpClient();
        using var response = await client.PostAsync(new Uri(_root, "/v1/chat/completions"), new StringContent("""{"model":"m","messages":[]}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("\"invalid_request_error\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Held_stream_sends_its_first_chunk_then_waits_for_release()
    {
        _upstream.HoldStreams = true;
        using var client = new HttpClient { Timeout = GatewayHost.Bound };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_root, "/v1/chat/completions"))
        {
            Content = new StringContent("""{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", "sk-load-test");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        Assert.StartsWith("data: {", await reader.ReadLineAsync(), StringComparison.Ordinal);
        Assert.Equal(1, _upstream.OpenStreams);

        _upstream.Release();
        var rest = await reader.ReadToEndAsync().WaitAsync(GatewayHost.Bound);
        Assert.EndsWith("data: [DONE]\n\n", rest, StringComparison.Ordinal);
        Assert.Equal(LoadTestUpstream.StreamChunkCount - 1, rest.Split("data: {").Length - 1);
    }

    [Fact]
    public async Task Benchmark_full_config_serves_the_sdk_through_the_gateway()
    {
        var yaml = (await File.ReadAllTextAsync(Repository.File("loadtests/configs/gateway-full.yaml")))
            .Replace("${BENCH_GATEWAY_PORT}", "0", StringComparison.Ordinal)
            .Replace("${BENCH_UPSTREAM}", _root.ToString().TrimEnd('/'), StringComparison.Ordinal)
            .Replace("${BENCH_WORK}", "work", StringComparison.Ordinal);
        await using var gateway = await GatewayHost.StartAsync(yaml);
        var chat = gateway.Sdk("gw-load-tester-0123456789abcdef").GetChatClient("chat");

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("hi")]);
        var updates = await StreamAsync(chat);

        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        // The endpoint's PII guardrail holds each last word until the next shows where it ends; the very last goes
        // out, whole, in a chunk of its own before the finish chunk: one more update than the upstream sent.
        Assert.Equal(LoadTestUpstream.StreamChunkCount + 2, updates.Count);
        Assert.Equal(completion.Content[0].Text, string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text)));
        Assert.Equal(2, _upstream.Requests);
        // The benchmark's traces are the real thing: usage read off both answers, priced.
        var traces = await gateway.TracesAsync(expected: 2);
        Assert.Equal(2, traces.Count);
        Assert.All(traces, t => Assert.True(t is { Priced: true, PromptTokens: > 0, UsageEstimated: false }, $"{t.Model}: {t.PromptTokens} tokens, priced {t.Priced}"));
    }

    private static async Task<List<StreamingChatCompletionUpdate>> StreamAsync(ChatClient chat)
    {
        var updates = new List<StreamingChatCompletionUpdate>();
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            updates.Add(update);
        }

        return updates;
    }
}
