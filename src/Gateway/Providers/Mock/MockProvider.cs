using System.Buffers;
using System.Text.Json;
using Gateway.Configuration.Model;
using Gateway.Core;
using Gateway.Errors;
using Gateway.Streaming;
using Microsoft.AspNetCore.Http;

namespace Gateway.Providers.Mock;

/// <summary>
/// A built-in provider that answers in OpenAI's wire format without any network: deterministic text,
/// streams word by word, embeddings from a hash of the input, realistic usage. For demos, offline use
/// and tests of everything in front of the provider.
/// </summary>
internal sealed partial class MockProvider(ProviderConfig config, TimeProvider time) : IProvider
{
    public async Task<AttemptResult> SendAsync(ProviderCall call)
    {
        var context = call.HttpContext;
        if (config.Latency is { } latency)
        {
            await Task.Delay(latency, time, context.RequestAborted);
        }

        using var document = JsonDocument.Parse(call.Body.Memory);
        var request = document.RootElement;
        var model = call.Target.Model;
        var error = call.Kind switch
        {
            EndpointKind.Chat => await ChatAsync(context, call, request, model, call.Request.Stream, call.Request.WantsUsage),
            EndpointKind.Completions => await CompletionsAsync(context, call.Relay, request, model, call.Request.Stream, call.Request.WantsUsage),
            _ => await EmbeddingsAsync(context, request, model),
        };

        return error is null ? AttemptResult.Served : AttemptResult.Refused(error);
    }

    private long Now => time.GetUtcNow().ToUnixTimeSeconds();

    private static int? MaxTokens(JsonElement request)
    {
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (request.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var max))
            {
                return max;
            }
        }

        return null;
    }

    private static void WriteUsage(Utf8JsonWriter writer, int prompt, int completion)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", prompt);
        writer.WriteNumber("completion_tokens", completion);
        writer.WriteNumber("total_tokens", prompt + completion);
        writer.WriteStartObject("prompt_tokens_details");
        writer.WriteNumber("cached_tokens", 0);
        writer.WriteEndObject();
        writer.WriteStartObject("completion_tokens_details");
        writer.WriteNumber("reasoning_tokens", 0);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, GatewayJson.WriterOptions))
        {
            write(writer);
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    private static void StartEventStream(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
    }

    /// <summary>Writes one SSE event through the relay and flushes it, so each chunk reaches the client as it is made.</summary>
    private static async Task WriteEventAsync(HttpContext context, StreamRelay relay, Action<Utf8JsonWriter> write)
    {
        relay.WriteJson(write, static (json, write) => write(json));
        await relay.FlushAsync(context.RequestAborted);
    }

    private static async Task WriteDoneAsync(HttpContext context, StreamRelay relay)
    {
        relay.WriteDone();
        await relay.FlushAsync(context.RequestAborted);
    }
}
