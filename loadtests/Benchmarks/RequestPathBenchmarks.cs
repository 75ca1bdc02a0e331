using System.Text;
using BenchmarkDotNet.Attributes;
using Gateway.Core;
using Gateway.Inbound.OpenAi;
using Gateway.Providers.OpenAi;

namespace Gateway.Benchmarks;

/// <summary>
/// What the gateway does to every request body: one validating pass that finds the model, then the model
/// spliced into the bytes sent upstream (no tree, no re-serialisation).
/// </summary>
[MemoryDiagnoser]
public class RequestPathBenchmarks
{
    private static readonly byte[] TargetModel = Encoding.UTF8.GetBytes("\"gpt-4o-mini\"");
    private readonly byte[] _copyBuffer = new byte[64 * 1024];
    private byte[] _body = [];

    [Params(1, 100, 1024)]
    public int PromptKilobytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // A conversation of alternating turns with the escapes real prompts carry (newlines, quotes, non-ASCII).
        const string Turn = "Our quarterly revenue grew in every region \\u2014 Zürich too.\\nThe team said \\\"ship it\\\", and the queue is 15% shorter. ";
        var messages = new StringBuilder("""{"role":"system","content":"You are concise."}""");
        var turn = 0;
        while (messages.Length < PromptKilobytes * 1024)
        {
            var role = turn++ % 2 == 0 ? "user" : "assistant";
            messages.Append($$$""",{"role":"{{{role}}}","content":"{{{string.Concat(Enumerable.Repeat(Turn, 8))}}}"}""");
        }

        _body = Encoding.UTF8.GetBytes(
            $$$"""{"model":"chat","messages":[{{{messages}}}],"temperature":0.2,"stream":true,"stream_options":{"include_usage":true}}""");
        if (OpenAiRequestReader.TryRead(_body, EndpointKind.Chat, out _) is { } error)
        {
            throw new InvalidOperationException("the benchmark body is not a valid request: " + error.Message);
        }
    }

    /// <summary>Validate the body and find model, stream and include_usage.</summary>
    [Benchmark]
    public bool Parse() => OpenAiRequestReader.TryRead(_body, EndpointKind.Chat, out var parsed) is null && parsed.Stream;

    /// <summary>The same, then the target model spliced in while the bytes are copied out, as the upstream call reads them.</summary>
    [Benchmark]
    public long ParseRewriteAndCopyOut()
    {
        OpenAiRequestReader.TryRead(_body, EndpointKind.Chat, out var parsed);
        using var spliced = new SplicedBodyStream(_body, parsed.ModelTokenStart, parsed.ModelTokenLength, TargetModel);
        long total = 0;
        int read;
        while ((read = spliced.Read(_copyBuffer)) > 0)
        {
            total += read;
        }

        return total;
    }
}
