using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Gateway.Configuration.Model;
using Gateway.Core;
using Gateway.Guardrails;
using Gateway.Inbound.OpenAi;
using Microsoft.AspNetCore.Http;

namespace Gateway.Benchmarks;

/// <summary>
/// What guardrails add to a request with a 10 KB prompt (a conversation of eight turns), with all seven built-in
/// entities on mask: the request side (find the texts, scan them, splice the placeholders in), against the parse
/// every request pays anyway; and the answer side, a 10 KB answer streamed in 500 SSE chunks through the guard
/// (hold-back masking and restoring).
/// </summary>
[MemoryDiagnoser]
public class GuardrailBenchmarks
{
    private static readonly EndpointGuardrails Guardrails = new([new CompiledGuardrail("pii", new GuardrailConfig
    {
        Entities = ["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "SECRET"],
        Action = "mask",
    })]);

    private byte[] _body = [];
    private byte[][] _chunks = [];

    /// <summary>Clean: no entity at all; Entities: ten of them spread through the prompt.</summary>
    [Params("Clean", "Entities")]
    public string Prompt { get; set; } = "Clean";

    [GlobalSetup]
    public void Setup()
    {
        const string prose = "The quarterly review went well: revenue grew in every region, and the board asked finance for a short summary of costs by team. ";
        string[] entities = ["jane.doe@example.com", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "536-22-1234", "192.168.10.24", "+44 20 7946 0958", "AKIAIOSFODNN7EXAMPLE", "bob@corp.example.org", "5555-5555-5555-4444", "+1 202-555-0143"];
        var messages = new List<object> { new { role = "system", content = "You are a concise assistant for the finance team." } };
        var size = 0;
        for (var turn = 0; size < 10 * 1024; turn++)
        {
            var text = new StringBuilder();
            for (var i = 0; i < 9; i++)
            {
                text.Append(prose);
            }

            if (Prompt == "Entities")
            {
                text.Insert(prose.Length * 4, $" Contact {entities[turn % entities.Length]} and {entities[(turn + 5) % entities.Length]}. ");
            }

            messages.Add(new { role = turn % 2 == 0 ? "user" : "assistant", content = text.ToString() });
            size += text.Length;
        }

        _body = JsonSerializer.SerializeToUtf8Bytes(new { model = "chat", messages, temperature = 0.2 });
        var answer = string.Concat(Enumerable.Repeat(prose, 80))[..10_000];
        if (Prompt == "Entities")
        {
            answer = answer.Insert(2000, " Write to <EMAIL_1> or call <PHONE_1>. ").Insert(6000, " Card 5555 5555 5555 4444 is on file. ");
        }

        _chunks = [.. answer.Chunk(20).Select(piece =>
            Encoding.UTF8.GetBytes("data: " + JsonSerializer.Serialize(new
            {
                id = "chatcmpl-1",
                @object = "chat.completion.chunk",
                created = 1_700_000_000,
                model = "gpt-4o-mini",
                choices = new[] { new { index = 0, delta = new { content = new string(piece) }, finish_reason = (string?)null } },
            }) + "\n\n"))];
    }

    /// <summary>The parse every request pays, guardrails or not: the yardstick.</summary>
    [Benchmark(Baseline = true)]
    public bool ParseOnly() => OpenAiRequestReader.TryRead(_body, EndpointKind.Chat, out _) is null;

    /// <summary>The request guardrails on the 10 KB prompt: the added latency before the provider is called.</summary>
    [Benchmark]
    public bool GuardRequest10KB()
    {
        using var body = RequestBody.Copy(_body);
        using var texts = new PromptTexts();
        OpenAiRequestReader.TryRead(body.Span, EndpointKind.Chat, out _, texts); // the one parse, decoding the texts
        return RequestGuard.Apply(body, texts, new GuardrailRun(Guardrails));
    }

    /// <summary>A 10 KB answer streamed in 500 chunks through the guard (response guardrails plus restoring).</summary>
    [Benchmark]
    public long GuardStream10KB()
    {
        var run = new GuardrailRun(Guardrails);
        run.Vault.PlaceholderFor("EMAIL", "jane.doe@example.com");
        run.Vault.PlaceholderFor("PHONE", "+1 202-555-0143");
        var context = new DefaultHttpContext();
        context.Response.ContentType = "text/event-stream";
        var guard = new ResponseGuard(Stream.Null, context.Response, run, EndpointKind.Chat);
        foreach (var chunk in _chunks)
        {
            guard.Write(chunk);
        }

        guard.CompleteAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return _chunks.Length;
    }
}
