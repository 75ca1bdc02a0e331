using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using Gateway.Auth;
using Gateway.Configuration;
using Gateway.Configuration.Model;
using Gateway.Hosting;
using Gateway.Providers;
using Gateway.Tracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Benchmarks;

/// <summary>
/// What tracing adds to one request on its own path, the writer's work excluded: the root span (from a
/// traceparent), the auth and attempt spans with their GenAI attributes, the meter reading a 1 KB answer
/// (model, usage, a 1,000-character capture), and the finished record. The same steps the handler and router
/// take, in the same order; the load test's traced/untraced pair measures the whole.
/// </summary>
[MemoryDiagnoser]
public class TracingBenchmarks
{
    private static readonly byte[] Answer = Encoding.UTF8.GetBytes(
        """{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"The quarterly figures show revenue up 12% against the same quarter last year, driven by the enterprise segment; costs rose 4%, mostly cloud spend. Cash flow stayed positive.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":250,"completion_tokens":41,"total_tokens":291,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_06737a9306"}""");

    private static readonly byte[] RequestBody = Encoding.UTF8.GetBytes(
        $$"""{"model":"chat","messages":[{"role":"system","content":"You are a concise assistant for a finance team."},{"role":"user","content":"{{string.Concat(Enumerable.Repeat("Summarise the quarterly numbers for the board. ", 18))}}"}],"temperature":0.2}""");

    private readonly CallerIdentity _caller = new("load-tester", "load-tester", ["engineering"], null, CallerRole.User);
    private readonly ModelPrice _price = new() { Input = 0.15m, Output = 0.6m };
    private WebApplication _app = null!;
    private GatewayTracing _tracing = null!;
    private TrackingConfig _tracking = null!;
    private string _directory = "";

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("tracing-bench-").FullName;
        var path = Path.Combine(_directory, "gateway.yaml");
        File.WriteAllText(path, """
            server: { auth: none }
            providers: { demo: { type: mock } }
            endpoints: { chat: { targets: [ { provider: demo, model: m } ] } }
            """);
        _app = GatewayApplication.Build(ConfigLoader.Load(ConfigSource.FromFile(path), ProviderRegistry.Rules), "http://127.0.0.1:0");
        _tracing = _app.Services.GetRequiredService<GatewayTracing>();
        _tracking = _app.Services.GetRequiredService<ConfigStore>().Current.Config.Tracking;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public long TraceOneRequest()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        var trace = _tracing.Begin(context, "chat")!;
        using (var auth = _tracing.StartSpan("auth"))
        {
            auth?.SetTag("gateway.key_id", _caller.KeyId);
        }

        var meter = new ResponseMeter(Stream.Null, static () => false, TimeProvider.System, _tracking.PreviewChars * 4, stripUsageChunk: false);
        using (var attempt = _tracing.StartSpan("chat gpt-4o-mini", ActivityKind.Client)!)
        {
            attempt.SetTag("gen_ai.operation.name", "chat");
            attempt.SetTag("gen_ai.system", "openai");
            attempt.SetTag("gen_ai.provider.name", "openai");
            attempt.SetTag("gen_ai.request.model", "gpt-4o-mini");
            attempt.SetTag("gateway.provider", "openai");
            attempt.SetTag("gateway.attempt", 1);
            meter.WriteAsync(Answer).AsTask().GetAwaiter().GetResult();
            attempt.SetTag("gateway.outcome", "served");
            attempt.SetTag("http.response.status_code", 200);
            attempt.SetTag("gen_ai.response.model", meter.Model);
        }

        meter.Complete();
        var root = trace.Root;
        root.SetTag("http.response.status_code", 200);
        root.DisplayName = "chat chat";
        root.SetTag("gateway.endpoint", "chat");
        root.SetTag("gateway.user", _caller.User);
        root.SetTag("gateway.key_id", _caller.KeyId);
        root.SetTag("gen_ai.usage.input_tokens", meter.Usage!.Value.PromptTokens);
        root.SetTag("gen_ai.usage.output_tokens", meter.Usage!.Value.CompletionTokens);
        root.Stop();
        var facts = new TraceFacts(_caller, "chat", Stream: false, meter, Error: null, new TargetName("openai", "openai", "gpt-4o-mini"), Attempts: 1, Gateway.Inbound.OpenAi.OpenAiRequestReader.Instance);
        var record = trace.Build(200, _tracking, "preview", _price, RequestBody, facts);
        meter.Release();
        return record.CostNanoUsd + record.PromptTokens;
    }
}
