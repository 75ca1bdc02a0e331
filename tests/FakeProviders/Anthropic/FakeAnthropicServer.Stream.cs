using System.Text;
using System.Text.Json.Nodes;
using FakeProviders.OpenAi;
using Microsoft.AspNetCore.Http;

namespace FakeProviders.Anthropic;

public sealed partial class FakeAnthropicServer
{
    private static async Task StreamAsync(HttpContext context, Answer answer, Fault? fault)
    {
        var events = new List<(string Name, JsonObject Data)>
        {
            ("message_start", new JsonObject
            {
                ["type"] = "message_start",
                ["message"] = new JsonObject
                {
                    ["id"] = answer.Id, ["type"] = "message", ["role"] = "assistant", ["model"] = answer.Model, ["content"] = new JsonArray(),
                    ["stop_reason"] = null, ["stop_sequence"] = null, ["usage"] = Usage(answer.InputTokens, 1),
                },
            }),
        };
        var index = 0;
        if (answer.Words.Count > 0)
        {
            events.Add(("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = index, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" } }));
            events.Add(("ping", new JsonObject { ["type"] = "ping" }));
            foreach (var word in answer.Words)
            {
                events.Add(("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = word } }));
            }

            events.Add(("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index++ }));
        }

        foreach (var (toolId, name, input) in answer.Tools)
        {
            events.Add(("content_block_start", new JsonObject
            {
                ["type"] = "content_block_start", ["index"] = index,
                ["content_block"] = new JsonObject { ["type"] = "tool_use", ["id"] = toolId, ["name"] = name, ["input"] = new JsonObject() },
            }));
            // The input arrives as partial JSON strings that only parse once joined, as the service sends them.
            foreach (var part in Split(input, 3))
            {
                events.Add(("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = part } }));
            }

            events.Add(("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index++ }));
        }

        events.Add(("message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = answer.StopReason, ["stop_sequence"] = answer.StopSequence },
            ["usage"] = new JsonObject { ["output_tokens"] = OutputTokens(answer.Words, answer.Tools) },
        }));
        events.Add(("message_stop", new JsonObject { ["type"] = "message_stop" }));

        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        for (var i = 0; i < events.Count; i++)
        {
            switch (fault)
            {
                case Fault.TruncatedStreamAfter truncate when i == truncate.AfterChunks:
                    // The response ends cleanly but early: no message_delta, no message_stop.
                    // (Fault.Reset covers a dropped connection.)
                    return;
                case Fault.MalformedChunk malformed when i == malformed.AfterChunks:
                    await EventAsync(context, "content_block_delta", "{\"type\": \"content_block_delta\", \"index\": ");
                    break;
                case Fault.StreamErrorAfter error when i == error.AfterEvents:
                    await EventAsync(context, "error", AnthropicErrors.Body(error.ErrorType, error.Message));
                    return;
                case Fault.StreamGate gated when i == 2:
                    await gated.Gate.Task.WaitAsync(context.RequestAborted);
                    break;
            }

            await EventAsync(context, events[i].Name, events[i].Data.ToJsonString(WireJson.Options));
        }
    }

    private static IEnumerable<string> Split(string text, int parts)
    {
        var size = Math.Max(1, (text.Length + parts - 1) / parts);
        for (var i = 0; i < text.Length; i += size)
        {
            yield return text.Substring(i, Math.Min(size, text.Length - i));
        }
    }

    private static async Task EventAsync(HttpContext context, string name, string data)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes($"event: {name}\ndata: {data}\n\n"), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }
}
