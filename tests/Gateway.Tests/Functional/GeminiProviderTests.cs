using System.ClientModel;
using System.Net;
using System.Text.Json;
using FakeProviders.Gemini;
using Gateway.Tests.Support;
using OpenAI.Chat;

namespace Gateway.Tests.Functional;

/// <summary>
/// gemini: the stock OpenAI SDK talks to the gateway; the gateway speaks generateContent,
/// streamGenerateContent and batchEmbedContents to the fake Gemini API and translates every answer,
/// stream and error back into OpenAI's format.
/// </summary>
public sealed partial class GeminiProviderTests : IAsyncLifetime
{
    private FakeGeminiServer _gemini = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _gemini = await FakeGeminiServer.StartAsync();
        _gateway = await GatewayHost.StartAsync(Config());
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _gemini.DisposeAsync();
    }

    private ChatClient Chat => _gateway.Sdk().GetChatClient("chat");

    private string Config(string endpointSettings = "timeout: 5s", string model = "gemini-2.5-flash") => $$"""
        server: { listen: http://127.0.0.1:8080, auth: none }
        providers:
          google: { type: gemini, base_url: "{{_gemini.BaseUrl}}", api_key: {{_gemini.ApiKey}} }
        endpoints:
          chat:
            {{endpointSettings}}
            targets: [ { provider: google, model: {{model}} } ]
          embed:
            type: embeddings
            targets: [ { provider: google, model: gemini-embedding-001 } ]
        """;

    private static ChatMessage[] Conversation =>
    [
        new SystemChatMessage("You are terse."),
#pragma warning disable OPENAI001 // developer messages are what newer OpenAI models use for system prompts
        new DeveloperChatMessage("Answer in English."),
#pragma warning restore OPENAI001
        new UserChatMessage("Hello"),
        new AssistantChatMessage("Hi."),
        new UserChatMessage("Greet me again"),
    ];

    private JsonElement SentBody() => JsonDocument.Parse(Assert.Single(_gemini.Requests).Body).RootElement;

    [Fact]
    public async Task Chat_is_translated_to_generate_content_and_back()
    {
#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK; the wire field is stable
        ChatCompletion completion = await Chat.CompleteChatAsync(Conversation, new ChatCompletionOptions
        {
            Temperature = 0.2f, TopP = 0.9f, MaxOutputTokenCount = 100, StopSequences = { "never-appears" }, Seed = 7, PresencePenalty = 0.5f,
        });
#pragma warning restore OPENAI001

        Assert.Equal(_gemini.ReplyText, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal("gemini-2.5-flash", completion.Model);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);

        var sent = Assert.Single(_gemini.Requests);
        Assert.Equal("/v1/models/gemini-2.5-flash:generateContent", sent.Path);
        Assert.Equal(_gemini.ApiKey, sent.Header("x-goog-api-key"));
        Assert.Null(sent.Header("authorization"));
        var body = SentBody();
        Assert.Equal("""{"parts":[{"text":"You are terse."},{"text":"Answer in English."}]}""", body.GetProperty("systemInstruction").GetRawText());
        Assert.Equal(["user", "model", "user"], body.GetProperty("contents").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("""{"temperature":0.2,"topP":0.9,"maxOutputTokens":100,"stopSequences":["never-appears"],"seed":7,"presencePenalty":0.5}""",
            body.GetProperty("generationConfig").GetRawText());
    }

    [Fact]
    public async Task Api_version_picks_the_path_for_preview_features()
    {
        await _gateway.RewriteConfigAsync(Config().Replace("type: gemini,", "type: gemini, api_version: v1beta,", StringComparison.Ordinal));

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/v1beta/models/gemini-2.5-flash:generateContent", Assert.Single(_gemini.Requests).Path);
    }

    [Fact]
    public async Task Stream_is_translated_event_by_event_with_reasoning_in_the_usage_chunk()
    {
        _gemini.ThoughtsTokens = 40;
        var updates = new List<StreamingChatCompletionUpdate>();
        await foreach (var update in Chat.CompleteChatStreamingAsync(Conversation))
        {
            updates.Add(update);
        }

        Assert.Equal(ChatMessageRole.Assistant, updates[0].Role);
        Assert.Equal(_gemini.ReplyText, string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text)));
        Assert.True(updates.Count(u => u.ContentUpdate.Count > 0) > 1, "the text arrives in several chunks, as Gemini sent it");
        Assert.Equal(ChatFinishReason.Stop, updates[^2].FinishReason);
        var usage = updates[^1].Usage;
        Assert.NotNull(usage);
        Assert.Equal(40, usage.OutputTokenDetails.ReasoningTokenCount);
        Assert.True(usage.OutputTokenCount > 40, "reasoning counts inside completion tokens, as OpenAI counts it");
        var sent = Assert.Single(_gemini.Requests);
        Assert.Equal("/v1/models/gemini-2.5-flash:streamGenerateContent", sent.Path);
        Assert.Equal("?alt=sse", sent.Query);
    }

    [Fact]
    public async Task Answer_cut_at_max_tokens_finishes_with_length()
    {
        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 3 });

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(3, SentBody().GetProperty("generationConfig").GetProperty("maxOutputTokens").GetInt32());
    }

    [Fact]
    public async Task Safety_stop_finishes_with_content_filter()
    {
        _gemini.FinishReasons.Enqueue("SAFETY");

        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal(ChatFinishReason.ContentFilter, completion.FinishReason);
    }

    [Fact]
    public async Task Json_mode_and_json_schema_become_a_response_mime_type_and_schema()
    {
        ChatCompletion jsonMode = await Chat.CompleteChatAsync([new UserChatMessage("json please")],
            new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() });
        var schema = """{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}""";
        ChatCompletion withSchema = await Chat.CompleteChatAsync([new UserChatMessage("json please")],
            new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("answer", BinaryData.FromString(schema), jsonSchemaIsStrict: true) });

        Assert.Equal("fake", JsonDocument.Parse(jsonMode.Content[0].Text).RootElement.GetProperty("answer").GetString());
        Assert.Equal("fake", JsonDocument.Parse(withSchema.Content[0].Text).RootElement.GetProperty("answer").GetString());
        var configs = _gemini.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("generationConfig")).ToList();
        Assert.Equal("""{"responseMimeType":"application/json"}""", configs[0].GetRawText());
        Assert.Equal($$"""{"responseMimeType":"application/json","responseJsonSchema":{{schema}}}""", configs[1].GetRawText());
    }

    [Fact]
    public async Task Images_by_data_url_and_by_http_url_become_inline_data_and_file_data()
    {
        var png = BinaryData.FromBytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        UserChatMessage question = new(
            ChatMessageContentPart.CreateTextPart("What are these?"),
            ChatMessageContentPart.CreateImagePart(png, "image/png"),
            ChatMessageContentPart.CreateImagePart(new Uri("https://example.com/cat.jpg")));

        ChatCompletion completion = await Chat.CompleteChatAsync([question]);

        Assert.Equal(_gemini.ReplyText, completion.Content[0].Text);
        var parts = SentBody().GetProperty("contents")[0].GetProperty("parts");
        Assert.Equal("""{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}""", parts[1].GetRawText());
        Assert.Equal("""{"fileData":{"mimeType":"image/jpeg","fileUri":"https://example.com/cat.jpg"}}""", parts[2].GetRawText());
    }
}
