using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Auth;
using Gateway.Configuration.Model;
using Gateway.Core;
using Gateway.Core.Chat;
using Gateway.Errors;
using Gateway.Inbound.OpenAi;
using Gateway.Providers;
using Gateway.Providers.Translation;
using Gateway.Providers.Upstream;
using Gateway.Streaming;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Providers;

/// <summary>
/// The one provider class for every non-OpenAI API, driven by a dialect that records what it is asked: what it
/// refuses never reaches the network, and what a dialect reads into the neutral answer reaches the caller in
/// OpenAI's chat format.
/// </summary>
public sealed class TranslatedProviderTests
{
    private const string Chat = """{"model":"chat","messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task A_request_the_dialect_cannot_write_is_refused_and_nothing_is_sent()
    {
        var dialect = new RecordingDialect { Refusal = GatewayErrors.UnsupportedParameter("logprobs", "p", "fake") };
        var (provider, upstream) = Provider(dialect);

        var result = await provider.SendAsync(Call(Chat).Call);

        Assert.Equal(AttemptStatus.Refused, result.Status);
        Assert.Same(dialect.Refusal, result.Error);
        Assert.Equal(0, upstream.Sent);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task One_tool_call_at_a_time_is_refused_unless_the_dialect_can_ask_for_it(bool canAsk)
    {
        var dialect = new RecordingDialect { Features = canAsk ? ChatFeatures.SingleToolCall : ChatFeatures.None };
        var expected = canAsk ? AttemptStatus.Served : AttemptStatus.Refused;
        var (provider, _) = Provider(dialect);
        const string body = """{"model":"chat","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"parallel_tool_calls":false}""";

        var result = await provider.SendAsync(Call(body).Call);

        Assert.Equal(expected, result.Status);
        Assert.Equal(expected == AttemptStatus.Served, dialect.Written is not null);
    }

    [Fact]
    public async Task An_operation_the_provider_has_no_call_for_is_refused()
    {
        var (provider, upstream) = Provider(new RecordingDialect());

        var result = await provider.SendAsync(Call("""{"model":"e","input":"x"}""", EndpointKind.Embeddings).Call);

        Assert.Equal(AttemptStatus.Refused, result.Status);
        Assert.Equal(0, upstream.Sent);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_dialects_stream_reaches_the_caller_as_openai_chunks_with_usage_only_when_asked(bool includeUsage)
    {
        var dialect = new RecordingDialect();
        var (provider, _) = Provider(dialect);
        var body = $$"""{"model":"chat","stream":true,"stream_options":{"include_usage":{{(includeUsage ? "true" : "false")}}},"messages":[{"role":"user","content":"hi"}]}""";
        var (call, output) = Call(body);

        var result = await provider.SendAsync(call);
        await call.Relay.CompleteAsync(CancellationToken.None);

        Assert.Equal(AttemptStatus.Served, result.Status);
        var events = Encoding.UTF8.GetString(output.ToArray()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToList();
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.Equal("hello", chunks[1].GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal("tool_calls", chunks[2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(includeUsage, chunks[^1].TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object);
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
    }

    private static (TranslatedProvider Provider, FakeUpstream Upstream) Provider(RecordingDialect dialect)
    {
        var upstream = new FakeUpstream();
        var exchange = new TranslatedExchange("p", dialect.Type, "sk-secret", new HttpMessageInvoker(upstream), NullLogger.Instance);
        return (new TranslatedProvider("p", dialect, exchange, TimeProvider.System), upstream);
    }

    private static (ProviderCall Call, MemoryStream Output) Call(string json, EndpointKind kind = EndpointKind.Chat)
    {
        var context = new DefaultHttpContext();
        var output = new MemoryStream();
        context.Response.Body = output;
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.Null(OpenAiRequestReader.TryRead(bytes, kind, out var parsed));
        var endpoint = new EndpointConfig { Targets = [new TargetConfig { Provider = "p", Model = "m" }] };
        var call = new ProviderCall(context, CallerIdentity.Anonymous, kind, endpoint, new ProviderTarget("m"), RequestBody.Copy(bytes), parsed,
            new UpstreamAttempt("p", "m", new AttemptTimeouts(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5))),
            new StreamRelay(context.Response.BodyWriter, []), OpenAiChatInbound.Instance);
        return (call, output);
    }

    /// <summary>Writes a request to a fixed URL and reads any answer as "hello", then a tool-call finish, then usage.</summary>
    private sealed class RecordingDialect : IChatDialect
    {
        public string Type => "fake";

        public ChatFeatures Features { get; init; }

        public GatewayError? Refusal { get; init; }

        public ChatRequest? Written { get; private set; }

        public ValueTask<DialectRequest> WriteAsync(ChatRequest request, ProviderCall call)
        {
            if (Refusal is not null)
            {
                return ValueTask.FromResult(DialectRequest.Refuse(Refusal));
            }

            Written = request;
            return ValueTask.FromResult(DialectRequest.Send(new HttpRequestMessage(HttpMethod.Post, "http://fake.invalid/chat") { Content = new StringContent("{}") }));
        }

        public ProviderErrorBody ReadError(JsonElement root, HttpResponseMessage response) => new(null, null);

        public Task ReadAnswerAsync(Stream body, IChatAnswerWriter writer, CancellationToken cancellationToken) =>
            writer.WriteCompletionAsync("hello", [], ChatFinish.Stop, new ChatUsage(3, 1, 0), cancellationToken);

        public async Task<GatewayError?> ReadStreamAsync(Stream body, IChatAnswerWriter writer, CancellationToken cancellationToken)
        {
            writer.StartStream();
            await writer.WriteRoleAsync(cancellationToken);
            await writer.WriteContentAsync("hello", cancellationToken);
            await writer.WriteFinishAsync(ChatFinish.ToolCalls, cancellationToken);
            await writer.WriteUsageAsync(new ChatUsage(3, 1, 0), cancellationToken);
            await writer.WriteDoneAsync(cancellationToken);
            return null;
        }
    }

    private sealed class FakeUpstream : HttpMessageHandler
    {
        public int Sent { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Sent++;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("ok") });
        }
    }
}
