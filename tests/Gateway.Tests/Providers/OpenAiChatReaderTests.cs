using System.Text;
using Gateway.Core.Chat;
using Gateway.Inbound.OpenAi;
using Gateway.Providers.Translation;

namespace Gateway.Tests.Providers;

public sealed class OpenAiChatReaderTests
{
    private static (ChatRequest? Request, string? Error) Read(string json)
    {
        var error = OpenAiChatReader.TryRead(Encoding.UTF8.GetBytes(json), new ChatTarget("claude", "anthropic", ChatFeatures.None), out var request);
        return (request, error?.Message);
    }

    [Fact]
    public void System_and_developer_messages_leave_the_turns_and_same_role_turns_merge()
    {
        var (request, error) = Read("""
            {"model":"chat","messages":[
              {"role":"system","content":"Be terse."},
              {"role":"user","content":"one"},
              {"role":"user","content":[{"type":"text","text":"two"},{"type":"text","text":"three"}]},
              {"role":"developer","content":"English only."},
              {"role":"assistant","content":"ok"}],
             "max_tokens":50,"max_completion_tokens":70,"stop":"END","user":"u-1","stream":true,"stream_options":{"include_usage":true}}
            """);

        Assert.Null(error);
        Assert.Equal(["Be terse.", "English only."], request!.System);
        Assert.Equal([(ChatRole.User, 3), (ChatRole.Assistant, 1)], request.Turns.Select(t => (t.Role, t.Parts.Count)));
        Assert.Equal(70, request.MaxTokens);
        Assert.Equal(["END"], request.Stop);
        Assert.Equal(("u-1", true, true), (request.User, request.Stream, request.IncludeUsage));
    }

    [Fact]
    public void Tool_calls_results_tools_and_choice_are_read_with_results_in_the_users_turn()
    {
        var (request, error) = Read("""
            {"model":"chat","messages":[
              {"role":"user","content":"Weather in Paris and Rome?"},
              {"role":"assistant","content":null,"tool_calls":[
                {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":""}}]},
              {"role":"tool","tool_call_id":"call_1","content":"18C"},
              {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"21C"}]}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object"}}}],
             "tool_choice":{"type":"function","function":{"name":"get_weather"}},"parallel_tool_calls":false}
            """);

        Assert.Null(error);
        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.User], request!.Turns.Select(t => t.Role));
        Assert.Equal([new ToolCallPart("call_1", "get_weather", """{"city":"Paris"}"""), new ToolCallPart("call_2", "get_weather", "{}")], request.Turns[1].Parts);
        Assert.Equal([new ToolResultPart("call_1", "18C"), new ToolResultPart("call_2", "21C")], request.Turns[2].Parts);
        Assert.Equal(new ChatTool("get_weather", "Weather", """{"type":"object"}"""), Assert.Single(request.Tools));
        Assert.Equal(new ChatToolChoice(ToolChoiceMode.Named, "get_weather"), request.ToolChoice);
        Assert.False(request.ParallelToolCalls);
    }

    [Theory]
    [InlineData("""{"presence_penalty":0,"frequency_penalty":0,"n":1,"logprobs":false,"tools":[],"tool_choice":"none","response_format":{"type":"text"}}""")]
    [InlineData("""{"tools":null,"seed":null}""")]
    public void Openai_defaults_of_unsupported_parameters_are_accepted(string extra)
    {
        var (_, error) = Read($$"""{"model":"chat","messages":[{"role":"user","content":"hi"}],{{extra[1..^1]}}}""");

        Assert.Null(error);
    }

    [Theory]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"seed":7}""", "'seed' is not supported")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"n":2}""", "'n' is not supported")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}""", "'response_format (json_object)' is not supported")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"yaml"}}""", "expected text, json_object or json_schema")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}]}""", "'messages[0].content[0] (input_audio parts)' is not supported")]
    [InlineData("""{"model":"chat","messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},{"role":"user","content":"hi"}]}""", "'messages[0].content (images in system messages)' is not supported")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"},{"role":"function","name":"f","content":"42"}]}""", "'messages[1] (legacy function messages; use tool messages)' is not supported")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"not json"}}]}]}""", "expected a JSON object in the string")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"tool_choice":"sometimes"}""", "expected auto, none, required")]
    [InlineData("""{"model":"chat","messages":[{"role":"system","content":"only a system prompt"}]}""", "needs at least one user or assistant message")]
    public void What_cannot_be_honoured_is_refused_by_name(string json, string message)
    {
        var (_, error) = Read(json);

        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    private static readonly ChatTarget Gemini = new("google", "gemini", ChatFeatures.Seed | ChatFeatures.Penalties | ChatFeatures.JsonObject | ChatFeatures.JsonSchema);

    [Fact]
    public void Features_the_target_has_are_read_into_the_request()
    {
        var json = """
            {"model":"chat","messages":[{"role":"user","content":"hi"}],"seed":42,"presence_penalty":0.5,"frequency_penalty":-0.5,
             "response_format":{"type":"json_schema","json_schema":{"name":"answer","strict":true,"schema":{"type":"object"}}}}
            """;

        Assert.Null(OpenAiChatReader.TryRead(Encoding.UTF8.GetBytes(json), Gemini, out var request));

        Assert.Equal((42L, 0.5, -0.5), (request!.Seed, request.PresencePenalty, request.FrequencyPenalty));
        Assert.Equal(new ChatResponseFormat("answer", """{"type":"object"}""", true), request.ResponseFormat);
    }

    [Fact]
    public void Json_schema_without_a_name_is_a_400_even_where_schemas_are_supported()
    {
        var json = """{"model":"chat","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"schema":{}}}}""";

        var error = OpenAiChatReader.TryRead(Encoding.UTF8.GetBytes(json), Gemini, out _);

        Assert.Equal("response_format.json_schema", error?.Param);
    }

    [Fact]
    public void Endpoint_that_drops_unsupported_params_reads_the_request_without_them()
    {
        var json = """{"model":"chat","messages":[{"role":"user","content":"hi"}],"seed":7,"logprobs":true,"response_format":{"type":"json_object"}}""";

        var error = OpenAiChatReader.TryRead(Encoding.UTF8.GetBytes(json), new ChatTarget("claude", "anthropic", ChatFeatures.None, DropUnsupported: true), out var request);

        Assert.Null(error);
        Assert.Equal((null, null), (request!.Seed, request.ResponseFormat));
    }
}
