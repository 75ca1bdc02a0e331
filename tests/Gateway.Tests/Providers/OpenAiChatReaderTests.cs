using System.Text;
using Gateway.Providers.Translation;

namespace Gateway.Tests.Providers;

public sealed class OpenAiChatReaderTests
{
    private static (ChatRequest? Request, string? Error) Read(string json)
    {
        var error = OpenAiChatReader.TryRead(Encoding.UTF8.GetBytes(json), "claude", "anthropic", out var request);
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
        Assert.Equal([(ChatRole.User, 3), (ChatRole.Assistant, 1)], request.Turns.Select(t => (t.Role, t.Text.Count)));
        Assert.Equal(70, request.MaxTokens);
        Assert.Equal(["END"], request.Stop);
        Assert.Equal(("u-1", true, true), (request.User, request.Stream, request.IncludeUsage));
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
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}]}""", "'tools' is not supported by provider 'claude' (anthropic) yet")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"seed":7}""", "'seed' is not supported")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"}],"n":2}""", "'n' is not supported")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}""", "'messages[0].content[0] (image_url parts)' is not supported")]
    [InlineData("""{"model":"chat","messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"c1","content":"42"}]}""", "'messages[1] (tool calls and results)' is not supported")]
    [InlineData("""{"model":"chat","messages":[{"role":"system","content":"only a system prompt"}]}""", "needs at least one user or assistant message")]
    public void What_cannot_be_honoured_is_refused_by_name(string json, string message)
    {
        var (_, error) = Read(json);

        Assert.Contains(message, error, StringComparison.Ordinal);
    }
}
