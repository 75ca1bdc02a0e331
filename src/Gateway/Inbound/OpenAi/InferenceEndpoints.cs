using System.Text.Json;
using Gateway.Auth;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Errors;
using Gateway.Pipeline;
using Gateway.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Inbound.OpenAi;

internal static class InferenceEndpoints
{
    public static IEndpointRouteBuilder MapInferenceEndpoints(this IEndpointRouteBuilder app)
    {
        // Inference routes are the pipeline (its authenticate stage runs inside the request's trace).
        // One config revision for the whole request: a reload mid-request does not mix two configs.
        var pipeline = app.ServiceProvider.GetRequiredService<InferencePipeline>();
        var store = app.ServiceProvider.GetRequiredService<ConfigStore>();
        app.MapPost(InferencePaths.ChatCompletions, context => pipeline.RunAsync(new InferenceContext(context, EndpointKind.Chat, store.Current, OpenAiRequestReader.Instance, OpenAiChatInbound.Instance)));
        app.MapPost(InferencePaths.Completions, context => pipeline.RunAsync(new InferenceContext(context, EndpointKind.Completions, store.Current, OpenAiRequestReader.Instance, OpenAiChatInbound.Instance)));
        app.MapPost(InferencePaths.Embeddings, context => pipeline.RunAsync(new InferenceContext(context, EndpointKind.Embeddings, store.Current, OpenAiRequestReader.Instance, OpenAiChatInbound.Instance)));
        app.MapGet(InferencePaths.Models, ListModelsAsync).RequireGatewayKey();
        return app;
    }

    /// <summary>GET /v1/models: the endpoints the caller's key may use, in OpenAI's list shape.</summary>
    private static async Task ListModelsAsync(HttpContext context, GatewayCall call)
    {
        var (snapshot, caller) = (call.Snapshot, call.Caller);

        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body, GatewayJson.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("object", "list");
        writer.WriteStartArray("data");
        foreach (var endpoint in snapshot.Routes.Endpoints.Values.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (!caller.MayCall(endpoint.Name))
            {
                continue;
            }

            writer.WriteStartObject();
            writer.WriteString("id", endpoint.Name);
            writer.WriteString("object", "model");
            writer.WriteNumber("created", snapshot.LoadedAt.ToUnixTimeSeconds());
            writer.WriteString("owned_by", "gateway");
            writer.WriteString("type", endpoint.Kind.Name());
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
