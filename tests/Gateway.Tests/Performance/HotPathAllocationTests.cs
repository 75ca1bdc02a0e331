using System.Text;
using Gateway.Auth;
using Gateway.Configuration.Model;
using Gateway.Core;
using Gateway.Inbound.OpenAi;
using Gateway.Providers.OpenAi;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Performance;

/// <summary>
/// Allocation budgets for the per-request pieces (loadtests/Benchmarks has their timings). Bytes allocated on
/// the current thread are exact and repeatable, unlike time, so these run with the unit tests: a change that
/// starts allocating per byte of prompt, or per request where nothing was, fails here rather than in a load test.
/// </summary>
public sealed class HotPathAllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(1024)]
    public void Parsing_a_request_allocates_only_the_model_name_whatever_the_prompt_size(int promptKilobytes)
    {
        var body = ChatBody(promptKilobytes);
        OpenAiRequestReader.TryRead(body, EndpointKind.Chat, out _);

        var allocated = Measure(() => OpenAiRequestReader.TryRead(body, EndpointKind.Chat, out _));

        Assert.InRange(allocated, 0, 64);
    }

    [Fact]
    public void Splicing_the_target_model_into_a_1_MB_body_allocates_no_copy_of_it()
    {
        var body = ChatBody(1024);
        OpenAiRequestReader.TryRead(body, EndpointKind.Chat, out var parsed);
        var model = Encoding.UTF8.GetBytes("\"gpt-4o-mini\"");
        var buffer = new byte[64 * 1024];
        void Copy()
        {
            using var spliced = new SplicedBodyStream(body, parsed.ModelTokenStart, parsed.ModelTokenLength, model);
            while (spliced.Read(buffer) > 0)
            {
            }
        }

        Copy();
        var allocated = Measure(Copy);

        Assert.InRange(allocated, 0, 256);
    }

    [Fact]
    public void Guarding_a_clean_prompt_allocates_its_decoded_text_and_little_more()
    {
        // What the scan needs is the text as strings (two bytes a character); no copy per detector, nothing per character.
        // The reader's pass that decodes the texts is counted too: it is the guard's only read of the JSON.
        var body = ChatBody(100);
        var guardrails = new Gateway.Guardrails.EndpointGuardrails([new Gateway.Guardrails.CompiledGuardrail("pii", new GuardrailConfig
        {
            Entities = ["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "SECRET"],
        })]);
        void Guard()
        {
            using var request = RequestBody.Copy(body);
            using var texts = new PromptTexts();
            Assert.Null(OpenAiRequestReader.TryRead(request.Span, EndpointKind.Chat, out _, texts));
            Gateway.Guardrails.RequestGuard.Apply(request, texts, new Gateway.Guardrails.GuardrailRun(guardrails));
        }

        Guard();
        var allocated = Measure(Guard);

        Assert.InRange(allocated, 0, 2 * body.Length + 16 * 1024);
    }

    [Fact]
    public void Authenticating_a_bearer_key_allocates_nothing()
    {
        var keys = KeyTable.Create([.. Enumerable.Range(0, 1000).Select(i => new KeyConfig { Key = $"gw-key-{i:D6}-0123456789abcdef", User = $"user{i}" })]);
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "Bearer gw-key-000500-0123456789abcdef";
        Assert.NotNull(GatewayKeyAuthenticator.Authenticate(context.Request, keys, allowAnonymous: false, out _));

        var allocated = Measure(() => GatewayKeyAuthenticator.Authenticate(context.Request, keys, allowAnonymous: false, out _));

        Assert.Equal(0, allocated);
    }

    /// <summary>
    /// The fewest bytes one call allocated over several calls: the runtime may allocate once while it tiers up
    /// a method mid-call, but a real per-call allocation shows in every call.
    /// </summary>
    private static long Measure(Action action)
    {
        var fewest = long.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            action();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return fewest;
    }

    private static byte[] ChatBody(int promptKilobytes)
    {
        var text = new StringBuilder();
        while (text.Length < promptKilobytes * 1024)
        {
            text.Append("Revenue grew \\u2014 in Zürich too.\\nThe team said \\\"ship it\\\". ");
        }

        return Encoding.UTF8.GetBytes($$$"""{"model":"chat","messages":[{"role":"user","content":"{{{text}}}"}],"stream":true}""");
    }
}
