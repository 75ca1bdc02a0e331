using System.Text;
using BenchmarkDotNet.Attributes;
using Gateway.Configuration.Model;
using Gateway.Core;
using Gateway.Guardrails;
using Gateway.Inbound.OpenAi;
using Gateway.RateLimiting;
using Gateway.Tracking;

namespace Gateway.Benchmarks;

/// <summary>
/// What the full configuration does to a request's prompt before the provider is called, on the load test's
/// prompt shapes (a system turn and one long user turn with the escapes real prompts carry): the reader's pass
/// alone, and that pass decoding the texts, the token limits' count and the PII guardrail's scan (all seven
/// entities, mask) of them, which is the whole request side of gateway-full.yaml.
/// </summary>
[MemoryDiagnoser]
public class PromptPassBenchmarks
{
    private const string Sentence = "Our quarterly revenue grew in every region \\u2014 Zürich too.\\nThe team said \\\"ship it\\\", and the support queue is 15% shorter. ";

    private static readonly EndpointGuardrails Guardrails = new([new CompiledGuardrail("pii", new GuardrailConfig
    {
        Entities = ["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "SECRET"],
        Action = "mask",
    })]);

    private readonly TokenCounter _counter = new();
    private byte[] _body = [];

    [Params(1, 1024)]
    public int PromptKilobytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder();
        while (text.Length + Sentence.Length <= PromptKilobytes * 1024 - 168)
        {
            text.Append(Sentence);
        }

        _body = Encoding.UTF8.GetBytes(
            $$"""{"model":"chat","messages":[{"role":"system","content":"You are a concise assistant for a finance team."},{"role":"user","content":"#000001 {{text.ToString().TrimEnd()}}"}],"temperature":0.2,"max_tokens":256}""");
    }

    /// <summary>The reader's validating pass, finding the facts routing needs: what every request pays.</summary>
    [Benchmark(Baseline = true)]
    public bool Parse() => OpenAiRequestReader.TryRead(_body, EndpointKind.Chat, out _) is null;

    /// <summary>The same pass decoding the prompt's texts, then the limiter's count and the guardrail's scan of them.</summary>
    [Benchmark]
    public long ParseCountAndGuard()
    {
        using var body = RequestBody.Copy(_body);
        using var texts = new PromptTexts();
        OpenAiRequestReader.TryRead(body.Span, EndpointKind.Chat, out _, texts);
        var tokens = _counter.CountPrompt(texts, body.Span, GatewayRateLimiter.ExactlyCountedChars);
        return RequestGuard.Apply(body, texts, new GuardrailRun(Guardrails)) ? -tokens : tokens;
    }
}
