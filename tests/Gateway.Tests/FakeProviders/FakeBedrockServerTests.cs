using System.Net;
using System.Text;
using System.Text.Json;
using FakeProviders.Bedrock;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;

namespace Gateway.Tests.FakeProviders;

/// <summary>
/// The fake Bedrock is only worth translating against if AWS's official SDK (@aws-sdk/client-bedrock-runtime
/// from npm) takes it for the real service: its Signature V4 must pass the fake's independent check, and its
/// event-stream decoder (CRCs and all) must read the fake's streams.
/// </summary>
public sealed class FakeBedrockServerTests : IAsyncLifetime
{
    private FakeBedrockServer _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeBedrockServer.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task Official_sdk_signs_converses_and_streams_against_the_fake()
    {
        _fake.ToolUses.Enqueue(("get_weather", """{"city":"Paris"}"""));
        // The script's calls in order: plain, stream, assistant-first, then a bad signature (refused before faults apply), then this.
        _fake.Enqueue(new Fault.None());
        _fake.Enqueue(new Fault.None());
        _fake.Enqueue(new Fault.None());
        _fake.Enqueue(new Fault.StreamErrorAfter(2, "throttlingException", "Too many tokens, please wait before trying again."));

        var result = await NodeSdk.RunAsync("bedrock.mjs", new Dictionary<string, string>
        {
            ["BEDROCK_ENDPOINT"] = _fake.BaseUrl.ToString().TrimEnd('/'),
            ["AWS_ACCESS_KEY_ID"] = FakeBedrockServer.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = FakeBedrockServer.SecretAccessKey,
        });

        var plain = result.GetProperty("plain");
        Assert.Equal(_fake.ReplyText, plain.GetProperty("text").GetString());
        Assert.Equal("end_turn", plain.GetProperty("stopReason").GetString());
        Assert.True(plain.GetProperty("usage").GetProperty("outputTokens").GetInt32() > 0);
        var stream = result.GetProperty("stream");
        Assert.Equal(["messageStart", "contentBlockDelta"], stream.GetProperty("events").EnumerateArray().Select(e => e.GetString()).Take(2));
        Assert.Equal(["contentBlockStop", "messageStop", "metadata"], stream.GetProperty("events").EnumerateArray().Select(e => e.GetString()).TakeLast(3));
        Assert.Equal(_fake.ReplyText, stream.GetProperty("text").GetString());
        Assert.Equal("""{"city":"Paris"}""", stream.GetProperty("toolInput").GetString());
        Assert.Equal("get_weather", result.GetProperty("toolName").GetString());
        Assert.Equal("tool_use", result.GetProperty("streamStop").GetString());
        Assert.Equal(("ValidationException", 400), (result.GetProperty("assistantFirst").GetProperty("name").GetString(), result.GetProperty("assistantFirst").GetProperty("status").GetInt32()));
        Assert.Equal(("InvalidSignatureException", 403), (result.GetProperty("badSignature").GetProperty("name").GetString(), result.GetProperty("badSignature").GetProperty("status").GetInt32()));
        Assert.Equal("ThrottlingException", result.GetProperty("streamException").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Fake_refuses_an_unsigned_request_and_a_conversation_that_does_not_alternate()
    {
        using var client = new HttpClient();
        using var unsigned = await client.PostAsync(new Uri(_fake.BaseUrl, "model/amazon.nova-pro-v1:0/converse"), new StringContent("{}", Encoding.UTF8, "application/json"));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_fake.BaseUrl, "model/amazon.nova-pro-v1:0/converse"))
        {
            Content = new StringContent("""{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"user","content":[{"text":"b"}]}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _fake.ApiKey);
        using var repeated = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.StartsWith("MissingAuthenticationTokenException:", unsigned.Headers.GetValues("x-amzn-ErrorType").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, repeated.StatusCode);
        Assert.Contains("must alternate between user and assistant", JsonDocument.Parse(await repeated.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
