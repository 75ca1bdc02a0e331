using System.Net;
using System.Text.Json;
using FakeProviders.Gemini;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;

namespace Gateway.Tests.FakeProviders;

/// <summary>
/// The fake Gemini API is only worth translating against if Google's official SDK (@google/genai from npm)
/// takes it for the real service: drive it with that SDK, and with raw HTTP for what the SDK would never send.
/// </summary>
public sealed class FakeGeminiServerTests : IAsyncLifetime
{
    private FakeGeminiServer _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeGeminiServer.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task Official_sdk_chats_streams_calls_functions_and_embeds_against_the_fake()
    {
        _fake.SignFunctionCalls = true;
        _fake.FunctionCalls.Enqueue(("get_weather", """{"city":"Paris"}"""));

        var result = await NodeSdk.RunAsync("gemini.mjs", new Dictionary<string, string>
        {
            ["GEMINI_BASE_URL"] = _fake.BaseUrl.ToString().TrimEnd('/'),
            ["GEMINI_API_KEY"] = _fake.ApiKey,
        });

        var plain = result.GetProperty("plain");
        Assert.Equal(_fake.ReplyText, plain.GetProperty("text").GetString());
        Assert.Equal("STOP", plain.GetProperty("finishReason").GetString());
        Assert.True(plain.GetProperty("usage").GetProperty("candidatesTokenCount").GetInt32() > 0);
        var stream = result.GetProperty("stream");
        Assert.Equal(_fake.ReplyText, stream.GetProperty("text").GetString());
        Assert.True(stream.GetProperty("chunks").GetInt32() > 1);
        Assert.Equal("STOP", stream.GetProperty("finishReason").GetString());
        var call = Assert.Single(result.GetProperty("functionCalls").EnumerateArray());
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        Assert.Equal("Paris", call.GetProperty("args").GetProperty("city").GetString());
        // The SDK sent the signed turn back and the fake, as strict as Gemini 3, took it.
        Assert.Equal(_fake.ReplyText, result.GetProperty("afterFunction").GetString());
        var embeddings = result.GetProperty("embeddings");
        Assert.Equal(2, embeddings.GetArrayLength());
        Assert.Equal(FakeGeminiServer.Vector("gemini-embedding-001", "second text", 8).Select(v => v!.GetValue<float>()),
            embeddings[1].EnumerateArray().Select(v => v.GetSingle()));
        Assert.Equal(400, result.GetProperty("badKey").GetProperty("status").GetInt32());
        Assert.Contains(GeminiErrors.InvalidKeyMessage, result.GetProperty("badKey").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(404, result.GetProperty("unknownModel").GetProperty("status").GetInt32());

        // What the SDK sent is what the gateway sends: the key header, the method paths, SSE for streams.
        var requests = _fake.Requests.ToList();
        Assert.Equal(_fake.ApiKey, requests[0].Header("x-goog-api-key"));
        Assert.Equal("/v1/models/gemini-2.5-flash:generateContent", requests[0].Path);
        Assert.Equal(("/v1/models/gemini-2.5-flash:streamGenerateContent", "?alt=sse"), (requests[1].Path, requests[1].Query));
        Assert.Equal("/v1/models/gemini-embedding-001:batchEmbedContents", requests[4].Path);
    }

    private async Task<(HttpStatusCode Status, JsonElement Error)> PostAsync(string body, string model = "gemini-2.5-flash")
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_fake.BaseUrl, $"v1beta/models/{model}:generateContent")) { Content = new StringContent(body) };
        request.Headers.Add("x-goog-api-key", _fake.ApiKey);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.GetProperty("error").Clone());
    }

    [Theory]
    [InlineData("""{"contents":[{"role":"assistant","parts":[{"text":"hi"}]}]}""", "Please use a valid role: user, model.")]
    [InlineData("""{"contents":[]}""", "contents is not specified")]
    [InlineData("""{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generation_config":{}}""", "Unknown name \"generation_config\"")]
    [InlineData("""{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"max_tokens":5}}""", "Unknown name \"max_tokens\"")]
    [InlineData("""{"contents":[{"role":"user","parts":[{"functionResponse":{"response":{}}}]}]}""", "function_response.name: Name cannot be empty")]
    [InlineData("""{"contents":[{"role":"user","parts":[{"inlineData":{"mimeType":"image/png","data":"not base64!"}}]}]}""", "Base64 decoding failed")]
    public async Task Fake_refuses_what_gemini_refuses(string body, string message)
    {
        var (status, error) = await PostAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_ARGUMENT", error.GetProperty("status").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fake_rate_limit_says_the_wait_in_retry_info_not_retry_after()
    {
        _fake.Enqueue(new Fault.Status(429));
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_fake.BaseUrl, "v1beta/models/gemini-2.5-flash:generateContent")) { Content = new StringContent("{}") };
        request.Headers.Add("x-goog-api-key", _fake.ApiKey);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.False(response.Headers.Contains("retry-after"));
        var details = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("details");
        Assert.Contains(details.EnumerateArray(), d => d.TryGetProperty("retryDelay", out var delay) && delay.GetString() == "27s");
    }
}
