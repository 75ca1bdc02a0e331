using System.Net;
using System.Text.Json;
using Gateway.Tests.Support;
using OpenAI.Chat;

namespace Gateway.Tests.Functional;

public sealed partial class GeminiProviderTests
{
    private static ChatCompletionOptions WeatherTool(ChatToolChoice? choice = null) => new()
    {
        Tools = { ChatTool.CreateFunctionTool("get_weather", "Current weather for a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""")) },
        ToolChoice = choice,
    };

    [Fact]
    public async Task Tool_call_comes_back_as_openai_tool_calls_with_the_declaration_and_choice_sent_as_geminis()
    {
        _gemini.FunctionCalls.Enqueue(("get_weather", """{"city":"Paris"}"""));

        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("Weather in Paris?")], WeatherTool(ChatToolChoice.CreateFunctionChoice("get_weather")));

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.StartsWith("call_", call.Id, StringComparison.Ordinal);
        Assert.Equal("""{"city":"Paris"}""", call.FunctionArguments.ToString());
        var body = SentBody();
        Assert.Equal("""[{"functionDeclarations":[{"name":"get_weather","description":"Current weather for a city","parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}]""",
            body.GetProperty("tools").GetRawText());
        Assert.Equal("""{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}}""", body.GetProperty("toolConfig").GetRawText());
    }

    [Theory]
    [InlineData("auto", "AUTO")]
    [InlineData("none", "NONE")]
    [InlineData("required", "ANY")]
    public async Task Tool_choice_modes_map_to_function_calling_modes(string choice, string mode)
    {
        var body = $$$"""{"model":"chat","messages":[{"role":"user","content":"hi"}],"tool_choice":"{{{choice}}}","tools":[{"type":"function","function":{"name":"f"}}]}""";

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mode, SentBody().GetProperty("toolConfig").GetProperty("functionCallingConfig").GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Tool_results_round_trip_as_function_call_and_named_function_response()
    {
        ChatMessage[] conversation =
        [
            new UserChatMessage("Weather in Paris?"),
            new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall("call_A", "get_weather", BinaryData.FromString("""{"city":"Paris"}"""))]),
            new ToolChatMessage("call_A", "18°C and sunny"),
        ];

        ChatCompletion completion = await Chat.CompleteChatAsync(conversation, WeatherTool());

        Assert.Equal(_gemini.ReplyText, completion.Content[0].Text);
        var contents = SentBody().GetProperty("contents");
        Assert.Equal("""{"role":"model","parts":[{"functionCall":{"id":"call_A","name":"get_weather","args":{"city":"Paris"}}}]}""", contents[1].GetRawText());
        Assert.Equal("""{"role":"user","parts":[{"functionResponse":{"id":"call_A","name":"get_weather","response":{"result":"18°C and sunny"}}}]}""", contents[2].GetRawText());
    }

    [Fact]
    public async Task Thought_signatures_survive_the_round_trip_through_a_stock_client()
    {
        // Gemini 3 refuses a function call sent back without the signature it came with; OpenAI clients keep only the id.
        _gemini.SignFunctionCalls = true;
        _gemini.FunctionCalls.Enqueue(("get_weather", """{"city":"Paris"}"""));
        List<ChatMessage> conversation = [new UserChatMessage("Weather in Paris?")];
        ChatCompletion first = await Chat.CompleteChatAsync(conversation, WeatherTool());
        var call = Assert.Single(first.ToolCalls);
        conversation.Add(new AssistantChatMessage(first));
        conversation.Add(new ToolChatMessage(call.Id, """{"temperature_c":18}"""));

        ChatCompletion second = await Chat.CompleteChatAsync(conversation, WeatherTool());

        Assert.Equal(_gemini.ReplyText, second.Content[0].Text);
        var parts = JsonDocument.Parse(_gemini.Requests.Last().Body).RootElement.GetProperty("contents");
        Assert.True(parts[1].GetProperty("parts")[0].TryGetProperty("thoughtSignature", out _));
        Assert.Equal("""{"temperature_c":18}""", parts[2].GetProperty("parts")[0].GetProperty("functionResponse").GetProperty("response").GetRawText());
    }

    [Fact]
    public async Task Tool_result_for_an_unknown_call_is_a_400_before_the_call()
    {
        var body = """{"model":"chat","messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"call_missing","content":"x"}]}""";

        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("tool_call_id 'call_missing' answers no tool call", (await Http.ReadErrorAsync(response)).Message, StringComparison.Ordinal);
        Assert.Empty(_gemini.Requests);
    }
}
