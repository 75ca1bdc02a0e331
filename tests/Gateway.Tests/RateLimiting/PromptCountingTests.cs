using System.Text;
using System.Text.Json;
using Gateway.RateLimiting;
using Gateway.Tests.Support;
using Gateway.Tracking;

namespace Gateway.Tests.RateLimiting;

/// <summary>The limiter's prompt count: exact up to its budget of text, extrapolated past it, and a caller's conversation counted once.</summary>
public sealed class PromptCountingTests
{
    private static byte[] Chat(int turns)
    {
        string[] turnsText =
        [
            "The quarterly review went well: revenue grew 12% in every region, and the board asked for a summary.",
            "def total(xs):\n    return sum(x * 1.2 for x in xs if x > 0)  # apply the uplift",
            "Zürich, München and Kraków reported a combined 3,481 orders; see ticket #48213 for details.",
        ];
        var messages = Enumerable.Range(0, turns).Select(i => new { role = i % 2 == 0 ? "user" : "assistant", content = string.Concat(Enumerable.Repeat(turnsText[i % 3], 20)) });
        return JsonSerializer.SerializeToUtf8Bytes(new { model = "chat", messages });
    }

    [Fact]
    public void A_prompt_within_the_budget_is_counted_exactly()
    {
        var body = Chat(7); // about 14 K characters of text
        Assert.True(body.Length < GatewayRateLimiter.ExactlyCountedChars);

        Assert.Equal(Prompts.Count(TokenCounter.Shared, body), Prompts.Count(TokenCounter.Shared, body, GatewayRateLimiter.ExactlyCountedChars));
    }

    [Fact]
    public void One_string_larger_than_the_budget_is_counted_up_to_it_and_extrapolated()
    {
        var text = string.Concat(Enumerable.Repeat("The quarterly review went well: revenue grew 12% in every region. ", 16_000)); // ~1 MB
        var body = JsonSerializer.SerializeToUtf8Bytes(new { model = "chat", messages = new[] { new { role = "user", content = text } } });

        var exact = Prompts.Count(TokenCounter.Shared, body);
        var bounded = Prompts.Count(TokenCounter.Shared, body, GatewayRateLimiter.ExactlyCountedChars);

        Assert.InRange((double)bounded / exact, 0.97, 1.05);
    }

    [Fact]
    public void A_prompt_past_the_budget_is_extrapolated_within_a_few_percent()
    {
        var body = Chat(600); // about 800 KB of mixed prose, code and non-ASCII text
        Assert.True(body.Length > 10 * GatewayRateLimiter.ExactlyCountedChars);

        var exact = Prompts.Count(TokenCounter.Shared, body);
        var bounded = Prompts.Count(TokenCounter.Shared, body, GatewayRateLimiter.ExactlyCountedChars);

        Assert.InRange((double)bounded / exact, 0.97, 1.05);
    }

    /// <summary>A conversation whose turns all differ (in <see cref="Chat"/> every third turn repeats).</summary>
    private static byte[] Conversation(int turns)
    {
        var messages = Enumerable.Range(0, turns).Select(i => new
        {
            role = i % 2 == 0 ? "user" : "assistant",
            content = $"Turn {i}: " + string.Concat(Enumerable.Repeat("The quarterly review went well; Zürich reported 3,481 orders. ", 8)),
        });
        return JsonSerializer.SerializeToUtf8Bytes(new { model = "chat", messages });
    }

    [Fact]
    public void Conversation_sent_again_with_a_new_turn_counts_only_the_new_turn_and_gets_the_same_total()
    {
        var counter = new TokenCounter();
        Prompts.Count(counter, Conversation(4), caller: "alice");
        Assert.Equal(0, counter.Counted.Hits);

        var next = Conversation(5); // the same four turns and one more, as an agent's next request
        var total = Prompts.Count(counter, next, caller: "alice");

        Assert.Equal(4, counter.Counted.Hits);
        Assert.Equal(Prompts.Count(new TokenCounter(), next), total);
    }

    [Fact]
    public void Another_callers_identical_conversation_is_counted_afresh()
    {
        var counter = new TokenCounter();
        var body = Conversation(4);
        var alice = Prompts.Count(counter, body, caller: "alice");

        var bob = Prompts.Count(counter, body, caller: "bob");

        Assert.Equal(0, counter.Counted.Hits); // a hit would tell bob, by its speed, what alice sent
        Assert.Equal(alice, bob);
        Prompts.Count(counter, body, caller: "bob");
        Assert.Equal(4, counter.Counted.Hits);
    }

    [Fact]
    public void Count_cache_keeps_two_generations_of_half_its_capacity()
    {
        var cache = new TokenCountCache(capacity: 8);
        var keys = Enumerable.Range(0, 20).Select(i => TokenCountCache.KeyOf(Encoding.UTF8.GetBytes($"string {i}"), partition: 1)).ToList();
        foreach (var (key, i) in keys.Select((k, i) => (k, i)))
        {
            cache.Add(key, i);
        }

        Assert.False(cache.TryGet(keys[0], out _));
        Assert.False(cache.TryGet(keys[15], out _));
        Assert.True(cache.TryGet(keys[16], out var tokens));
        Assert.Equal(16, tokens);
        Assert.False(cache.TryGet(TokenCountCache.KeyOf(Encoding.UTF8.GetBytes("string 16"), partition: 2), out _));
    }

    [Fact]
    public void A_chat_counts_every_string_and_number_of_its_messages_but_images_plus_the_formats_overhead()
    {
        const string body = """
            {"model":"chat","tools":[{"type":"function","function":{"name":"lookup","description":"not part of the count"}}],
             "messages":[
               {"role":"system","content":"You are brief."},
               {"role":"user","content":[{"type":"text","text":"What is in this picture?"},{"type":"image_url","image_url":{"url":"https://example.com/a-very-long-picture-name.png","detail":"high"}}]},
               {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"cat\"}"}}]},
               {"role":"tool","tool_call_id":"call_1","content":"A cat, 3 years old."},
               {"role":"user","name":"ann","content":"Thanks!","n_hint":42}]}
            """;
        string[] counted = ["system", "You are brief.", "user", "text", "What is in this picture?", "image_url", "assistant", "call_1", "function", "lookup",
            "{\"q\":\"cat\"}", "tool", "call_1", "A cat, 3 years old.", "user", "ann", "Thanks!"];

        var total = Prompts.Count(new TokenCounter(), Encoding.UTF8.GetBytes(body));

        // 3 for the reply's priming, 3 for each of the 5 messages, one token for the number 42; the tools and the image are not prompt text.
        Assert.Equal(3 + (3 * 5) + 1 + counted.Sum(TokenCounter.Count), total);
    }

    [Theory]
    [InlineData("completions", """{"model":"m","prompt":["one two",[17,18,19]]}""", 3, "one two")]
    [InlineData("embeddings", """{"model":"m","input":[[1,2],[3]]}""", 3, "")]
    [InlineData("embeddings", """{"model":"m","input":"plain text"}""", 0, "plain text")]
    public void Prompts_and_inputs_count_their_strings_and_one_token_per_id_without_the_chat_overhead(string kind, string body, int ids, string text)
    {
        var total = Prompts.Count(new TokenCounter(), Encoding.UTF8.GetBytes(body), kind: Gateway.Core.EndpointKinds.Parse(kind));

        Assert.Equal(ids + TokenCounter.Count(text), total);
    }
}
