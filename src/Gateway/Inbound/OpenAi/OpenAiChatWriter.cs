using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Gateway.Core.Chat;
using Gateway.Errors;
using Gateway.Streaming;
using Microsoft.AspNetCore.Http;

namespace Gateway.Inbound.OpenAi;

/// <summary>
/// Writes a translated answer in OpenAI's chat completion format: the whole object, or the SSE stream of
/// chunks (role chunk, content chunks, finish chunk, usage chunk when asked for, [DONE]), each flushed as
/// soon as it is written. The object goes straight to the response's pipe; the chunks through the relay (the
/// meter and the guard), straight into the pipe when no stage watches them.
/// </summary>
/// <param name="includeUsage">The stream ends with a usage chunk (the caller asked, or the trace did) and marks every chunk before it.</param>
internal sealed class OpenAiChatWriter(HttpResponse response, StreamRelay relay, string id, string model, long created, bool includeUsage) : IChatAnswerWriter
{
    /// <summary>OpenAI's finish_reason for each way an answer ends.</summary>
    public static string FinishReason(ChatFinish finish) => finish switch
    {
        ChatFinish.Length => "length",
        ChatFinish.ToolCalls => "tool_calls",
        ChatFinish.ContentFilter => "content_filter",
        _ => "stop",
    };

    public async Task WriteCompletionAsync(string text, IReadOnlyList<ToolCallPart> toolCalls, ChatFinish finish, ChatUsage usage, CancellationToken cancellationToken)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(response.BodyWriter, GatewayJson.WriterOptions))
        {
            json.WriteStartObject();
            Header(json, "chat.completion");
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", 0);
            json.WriteStartObject("message");
            json.WriteString("role", "assistant");
            if (text.Length == 0 && toolCalls.Count > 0)
            {
                json.WriteNull("content");
            }
            else
            {
                json.WriteString("content", text);
            }

            json.WriteNull("refusal");
            if (toolCalls.Count > 0)
            {
                json.WriteStartArray("tool_calls");
                foreach (var call in toolCalls)
                {
                    json.WriteStartObject();
                    json.WriteString("id", call.Id);
                    json.WriteString("type", "function");
                    json.WriteStartObject("function");
                    json.WriteString("name", call.Name);
                    json.WriteString("arguments", call.ArgumentsJson);
                    json.WriteEndObject();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
            json.WriteNull("logprobs");
            json.WriteString("finish_reason", FinishReason(finish));
            json.WriteEndObject();
            json.WriteEndArray();
            Usage(json, usage);
            json.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(cancellationToken);
    }

    public void StartStream()
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
    }

    public ValueTask WriteRoleAsync(CancellationToken cancellationToken) =>
        ChunkAsync(json => Delta(json, role: "assistant", content: "", finishReason: null), cancellationToken);

    public ValueTask WriteContentAsync(string content, CancellationToken cancellationToken) =>
        ChunkAsync(json => Delta(json, role: null, content, finishReason: null), cancellationToken);

    public ValueTask WriteToolCallStartAsync(int index, string id, string name, CancellationToken cancellationToken) =>
        ChunkAsync(json => ToolCallDelta(json, index, id, name, ""), cancellationToken);

    public ValueTask WriteToolCallArgumentsAsync(int index, string fragment, CancellationToken cancellationToken) =>
        ChunkAsync(json => ToolCallDelta(json, index, null, null, fragment), cancellationToken);

    public ValueTask WriteFinishAsync(ChatFinish finish, CancellationToken cancellationToken) =>
        ChunkAsync(json => Delta(json, role: null, content: null, FinishReason(finish)), cancellationToken);

    /// <summary>The final chunk OpenAI sends for stream_options.include_usage: no choices, only usage.</summary>
    public ValueTask WriteUsageAsync(ChatUsage usage, CancellationToken cancellationToken) => !includeUsage ? ValueTask.CompletedTask : ChunkAsync(json =>
    {
        Header(json, "chat.completion.chunk");
        json.WriteStartArray("choices");
        json.WriteEndArray();
        Usage(json, usage);
    }, cancellationToken);

    public async ValueTask WriteDoneAsync(CancellationToken cancellationToken)
    {
        relay.WriteDone();
        await relay.FlushAsync(cancellationToken);
    }

    /// <summary>An error event in OpenAI's error shape and no [DONE].</summary>
    public async ValueTask WriteErrorAsync(GatewayError error, CancellationToken cancellationToken)
    {
        relay.WriteError(error);
        await relay.FlushAsync(cancellationToken);
    }

    private ValueTask ChunkAsync(Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        relay.WriteJson(write, static (json, write) =>
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        });
        var flush = relay.FlushAsync(cancellationToken);
        return flush.IsCompletedSuccessfully ? ValueTask.CompletedTask : AwaitAsync(flush);

        static async ValueTask AwaitAsync(ValueTask<FlushResult> flush) => await flush;
    }

    private void Delta(Utf8JsonWriter json, string? role, string? content, string? finishReason)
    {
        Header(json, "chat.completion.chunk");
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        json.WriteStartObject("delta");
        if (role is not null)
        {
            json.WriteString("role", role);
        }

        if (content is not null)
        {
            json.WriteString("content", content);
        }

        json.WriteEndObject();
        json.WriteNull("logprobs");
        json.WriteString("finish_reason", finishReason); // a null reason is written as JSON null

        json.WriteEndObject();
        json.WriteEndArray();
        if (includeUsage)
        {
            // OpenAI marks every chunk before the usage chunk with "usage": null when usage was asked for.
            json.WriteNull("usage");
        }
    }

    private void ToolCallDelta(Utf8JsonWriter json, int index, string? id, string? name, string arguments)
    {
        Header(json, "chat.completion.chunk");
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        json.WriteStartObject("delta");
        json.WriteStartArray("tool_calls");
        json.WriteStartObject();
        json.WriteNumber("index", index);
        if (id is not null)
        {
            json.WriteString("id", id);
            json.WriteString("type", "function");
        }

        json.WriteStartObject("function");
        if (name is not null)
        {
            json.WriteString("name", name);
        }

        json.WriteString("arguments", arguments);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteNull("logprobs");
        json.WriteNull("finish_reason");
        json.WriteEndObject();
        json.WriteEndArray();
        if (includeUsage)
        {
            json.WriteNull("usage");
        }
    }

    private void Header(Utf8JsonWriter json, string objectType)
    {
        json.WriteString("id", id);
        json.WriteString("object", objectType);
        json.WriteNumber("created", created);
        json.WriteString("model", model);
    }

    private static void Usage(Utf8JsonWriter json, ChatUsage usage)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", usage.PromptTokens);
        json.WriteNumber("completion_tokens", usage.CompletionTokens);
        json.WriteNumber("total_tokens", usage.PromptTokens + usage.CompletionTokens);
        json.WriteStartObject("prompt_tokens_details");
        json.WriteNumber("cached_tokens", usage.CachedTokens);
        json.WriteEndObject();
        json.WriteStartObject("completion_tokens_details");
        json.WriteNumber("reasoning_tokens", usage.ReasoningTokens);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
