using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Gateway.Errors;

/// <summary>Writes a <see cref="GatewayError"/> as OpenAI's error JSON: {"error":{"message","type","param","code"}}.</summary>
internal static class ErrorResponseWriter
{
    public const string GatewayHeaderPrefix = "x-gateway-";

    /// <summary>Names the request's trace; kept when an error replaces the answer.</summary>
    public const string RequestIdHeader = "x-request-id";

    /// <summary>
    /// Clears a response that has not started (a failed attempt's headers, an answer an error replaces) but keeps
    /// the gateway's own headers: x-request-id names the trace whatever answers, and the router's x-gateway-* say
    /// who was tried.
    /// </summary>
    public static void Reset(HttpResponse response)
    {
        var headers = response.Headers;
        var requestId = headers[RequestIdHeader];
        List<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>>? gatewayHeaders = null;
        foreach (var header in headers)
        {
            if (header.Key.StartsWith(GatewayHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                (gatewayHeaders ??= []).Add(header);
            }
        }

        response.Clear();
        if (requestId.Count > 0)
        {
            headers[RequestIdHeader] = requestId;
        }

        foreach (var (name, value) in gatewayHeaders ?? [])
        {
            headers[name] = value;
        }
    }

    public static Task WriteAsync(HttpContext context, GatewayError error)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            // Too late for a status code; the caller ends the stream instead.
            return Task.CompletedTask;
        }

        Reset(response);
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        if (error.Headers is { } headers)
        {
            foreach (var (name, value) in headers)
            {
                response.Headers[name] = value;
            }
        }

        var bytes = error.RawBody?.ToArray() ?? Serialize(error);
        response.ContentLength = bytes.Length;
        return response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
    }

    public static byte[] Serialize(GatewayError error)
    {
        using var buffer = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(buffer, GatewayJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", error.Message);
            writer.WriteString("type", error.Type);
            WriteStringOrNull(writer, "param", error.Param);
            WriteStringOrNull(writer, "code", error.Code);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteStringOrNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
