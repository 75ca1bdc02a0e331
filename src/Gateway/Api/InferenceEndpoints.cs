using System.Text.Json;
using Gateway.Auth;
using Gateway.Configuration;
using Gateway.Errors;
using Gateway.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Api;

internal static class InferenceEndpoints
{
    public static IEndpointRouteBuilder MapInferenceEndpoints(this IEndpointRouteBuilder app)
    {
        var handler = app.ServiceProvider.GetRequiredService<InferenceHandler>();
        app.MapPost(InferencePaths.ChatCompletions, context => handler.HandleAsync(context, EndpointKind.Chat));
        app.MapPost(InferencePaths.Completions, context => handler.HandleAsync(context, EndpointKind.Completions));
        app.MapPost(InferencePaths.Embeddings, context => handler.HandleAsync(context, EndpointKind.Embeddings));
        app.MapGet(InferencePaths.Models, ListModelsAsync);
        return app;
    }

    /// <summary>GET /v1/models: the endpoints the caller's key may use, in OpenAI's list shape.</summary>
    private static async Task ListModelsAsync(HttpContext context)
    {
        var snapshot = context.RequestServices.GetRequiredService<ConfigStore>().Current;
        if (GatewayKeyAuthenticator.TryAuthenticate(context.Request, snapshot, out var caller) is { } authError)
        {
            await ErrorResponseWriter.WriteAsync(context, authError);
            return;
        }

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
