using System.Net;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using FakeProviders.Anthropic;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;

namespace Gateway.Tests.FakeProviders;

/// <summary>
/// The fake Anthropic API is only worth translating against if Anthropic's official .NET SDK takes it for
/// the real service: drive it with that SDK, and with raw HTTP for what the SDK would never send.
/// </summary>
public sealed class FakeAnthropicServerTests : IAsyncLifetime
{
    private FakeAnthropicServer _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeAnthropicServer.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    private AnthropicClient Sdk(string? key = null) =>
        new() { ApiKey = key ?? _fake.ApiKey, BaseUrl = _fake.BaseUrl.ToString().TrimEnd('/'), MaxRetries = 0, Timeout = GatewayHost.Bound };

    private static MessageCreateParams Params(long maxTokens = 256) => new()
    {
        Model = "claude-sonnet-4-5",
        MaxTokens = maxTokens,
        System = "You are terse.",
        Messages = [new UserMessageParam { Content = "Hello" }, new AssistantMessageParam { Content = "Hi." }, new UserMessageParam { Content = "Greet me again" }],
    };

    [Fact]
    public async Task Official_sdk_reads_a_message_with_usage_from_the_fake()
    {
        var message = await Sdk().Messages.Create(Params());

        Assert.True(Assert.Single(message.Content).TryPickText(out var text));
        Assert.Equal(_fake.ReplyText, text.Text);
        Assert.Equal("end_turn", message.StopReason?.Raw());
        Assert.True(message.Usage.InputTokens > 0);
        var sent = Assert.Single(_fake.Requests);
        // Anthropic's SDK 13.x sends the key as a bearer token and its own API version.
        Assert.Equal("Bearer " + _fake.ApiKey, sent.Header("authorization"));
        Assert.NotNull(sent.Header("anthropic-version"));
    }

    [Fact]
    public async Task Official_sdk_sends_structured_output_config_as_the_fake_reads_it()
    {
        var schema = new Dictionary<string, JsonElement>
        {
            ["type"] = JsonSerializer.SerializeToElement("object"),
            ["properties"] = JsonSerializer.SerializeToElement(new { answer = new { type = "string" } }),
            ["additionalProperties"] = JsonSerializer.SerializeToElement(false),
        };

        var message = await Sdk().Messages.Create(Params() with { OutputConfig = new OutputConfig { Format = new JsonOutputFormat { Schema = schema } } });

        Assert.True(Assert.Single(message.Content).TryPickText(out var text));
        Assert.Equal("fake", JsonDocument.Parse(text.Text).RootElement.GetProperty("answer").GetString());
        // The gateway writes output_config exactly as the SDK does.
        var sent = JsonDocument.Parse(Assert.Single(_fake.Requests).Body).RootElement.GetProperty("output_config").GetProperty("format");
        Assert.Equal("json_schema", sent.GetProperty("type").GetString());
        Assert.False(sent.GetProperty("schema").GetProperty("additionalProperties").GetBoolean());
    }

    [Fact]
    public async Task Official_sdk_reads_the_fakes_stream_in_anthropic_event_order()
    {
        var types = new List<string>();
        var text = new StringBuilder();
        string? stopReason = null;
        await foreach (var streamEvent in Sdk().Messages.CreateStreaming(Params()))
        {
            types.Add(streamEvent.Type.Raw());
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var textDelta))
            {
                text.Append(textDelta.Text);
            }

            if (streamEvent.TryPickDelta(out var messageDelta))
            {
                stopReason = messageDelta.Delta.StopReason?.Raw();
            }
        }

        Assert.Equal(["message_start", "content_block_start"], types.Take(2));
        Assert.Equal(["content_block_stop", "message_delta", "message_stop"], types.TakeLast(3));
        Assert.Equal(_fake.ReplyText, text.ToString());
        Assert.Equal("end_turn", stopReason);
    }

    [Fact]
    public async Task Official_sdk_sees_max_tokens_as_the_stop_reason_when_the_answer_is_cut()
    {
        var message = await Sdk().Messages.Create(Params(maxTokens: 3));

        Assert.Equal("max_tokens", message.StopReason?.Raw());
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(3, text.Text.Split(' ').Length);
    }

    [Fact]
    public async Task Official_sdk_sees_the_fakes_401_for_a_wrong_key()
    {
        var error = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => Sdk("sk-ant-wrong").Messages.Create(Params()));

        Assert.Contains("invalid x-api-key", error.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Official_sdk_sees_a_429_with_anthropics_rate_limit_error()
    {
        _fake.Enqueue(new Fault.Status(429, Headers: new Dictionary<string, string> { ["retry-after"] = "12" }));

        var error = await Assert.ThrowsAsync<AnthropicRateLimitException>(() => Sdk().Messages.Create(Params()));

        Assert.Contains("rate_limit_error", error.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Official_sdk_fails_the_stream_on_an_overload_error_event_mid_answer()
    {
        _fake.Enqueue(new Fault.StreamErrorAfter(4));

        await Assert.ThrowsAnyAsync<AnthropicException>(async () =>
        {
            await foreach (var _ in Sdk().Messages.CreateStreaming(Params()))
            {
            }
        });
    }

    [Theory]
    [InlineData("""{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}""", "max_tokens: Field required")]
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"system","content":"be terse"},{"role":"user","content":"hi"}]}""", "messages.0.role: Input should be 'user' or 'assistant'")]
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}""", "messages: List should have at least 1 item after validation, not 0")]
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/bmp","data":"Qk0="}}]}]}""", "messages.0.content.0.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'")]
    public async Task Requests_the_service_rejects_get_its_400_and_message(string body, string message)
    {
        using var response = await PostAsync(body, version: "2023-06-01");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(message, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Request_without_anthropic_version_is_rejected()
    {
        using var response = await PostAsync("""{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", version: null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("anthropic-version: header is required", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tool_use_streams_its_input_as_partial_json_that_joins_to_the_arguments()
    {
        _fake.ToolUses.Enqueue(("get_weather", """{"city":"Paris","unit":"celsius"}"""));
        const string Body = """{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"Weather in Paris?"}]}""";

        using var response = await PostAsync(Body, version: "2023-06-01");
        var sse = await response.Content.ReadAsStringAsync();

        var partials = sse.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l["data: ".Length..]).RootElement)
            .Where(e => e.TryGetProperty("delta", out var d) && d.TryGetProperty("partial_json", out _))
            .Select(e => e.GetProperty("delta").GetProperty("partial_json").GetString());
        Assert.Equal("""{"city":"Paris","unit":"celsius"}""", string.Concat(partials));
        Assert.Contains("\"stop_reason\":\"tool_use\"", sse, StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> PostAsync(string body, string? version)
    {
        using var client = new HttpClient { Timeout = GatewayHost.Bound };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_fake.BaseUrl, "/v1/messages")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", _fake.ApiKey);
        if (version is not null)
        {
            request.Headers.Add("anthropic-version", version);
        }

        return await client.SendAsync(request);
    }
}
