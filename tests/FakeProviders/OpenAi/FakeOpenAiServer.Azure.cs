using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FakeProviders.OpenAi;

/// <summary>
/// The Azure OpenAI dialect of the same fake: deployment paths with a required api-version, the api-key
/// header or a Microsoft Entra bearer token, Azure's own 401/404 bodies, and the content-filter annotations
/// Azure adds (a first stream chunk with no choices, only prompt_filter_results).
/// </summary>
public sealed partial class FakeOpenAiServer
{
    public const string DefaultEntraToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake-entra-token";
    private const string DeploymentModelItem = "fake.azure.model";

    /// <summary>Azure mode: deployment name → the model it serves.</summary>
    public IDictionary<string, string> Deployments { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public ISet<string> ApiVersions { get; } = new HashSet<string>(StringComparer.Ordinal) { "2024-10-21", "2024-06-01", "2025-01-01-preview" };

    public string EntraToken { get; private set; } = DefaultEntraToken;

    /// <summary>A fake Azure OpenAI resource; <see cref="BaseUrl"/> is its endpoint (https://{resource}.openai.azure.com).</summary>
    public static async Task<FakeOpenAiServer> StartAzureAsync(string apiKey = DefaultApiKey, string entraToken = DefaultEntraToken)
    {
        var server = new FakeOpenAiServer(apiKey) { EntraToken = entraToken };
        server.Deployments["chat-deployment"] = "gpt-4o-mini";
        server.Deployments["embeddings-deployment"] = "text-embedding-3-small";
        var (app, root) = await FakeServerHost.StartAsync(server.MapAzure);
        server._app = app;
        server.BaseUrl = root;
        return server;
    }

    private void MapAzure(WebApplication app)
    {
        app.MapPost("/openai/deployments/{deployment}/chat/completions", context => ServeAsync(context, ChatAsync, AuthorizeAzureAsync));
        app.MapPost("/openai/deployments/{deployment}/completions", context => ServeAsync(context, CompletionsAsync, AuthorizeAzureAsync));
        app.MapPost("/openai/deployments/{deployment}/embeddings", context => ServeAsync(context, EmbeddingsAsync, AuthorizeAzureAsync));
    }

    private async Task<bool> AuthorizeAzureAsync(HttpContext context, RecordedRequest recorded)
    {
        context.Response.Headers["apim-request-id"] = Guid.NewGuid().ToString();
        context.Response.Headers["x-ms-region"] = "Sweden Central";

        // Azure checks the version before the key: an unknown or missing one is a bare 404.
        var version = context.Request.Query["api-version"].ToString();
        if (!ApiVersions.Contains(version))
        {
            await WriteJsonAsync(context, 404, """{"error":{"code":"404","message": "Resource not found"}}""");
            return false;
        }

        var key = recorded.Header("api-key");
        var bearer = recorded.Header("authorization");
        var authorized = key is not null ? key == ApiKey : bearer == "Bearer " + EntraToken;
        if (!authorized)
        {
            await WriteJsonAsync(context, 401, key is not null || bearer is null
                ? """{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"""
                : """{"error":{"code":"PermissionDenied","message":"Principal does not have access to API/Operation."}}""");
            return false;
        }

        var deployment = (string)context.Request.RouteValues["deployment"]!;
        if (!Deployments.TryGetValue(deployment, out var model))
        {
            await WriteJsonAsync(context, 404, """{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}""");
            return false;
        }

        context.Items[DeploymentModelItem] = model;
        return true;
    }

    private static string? AzureDeploymentModel(HttpContext context) => context.Items[DeploymentModelItem] as string;

    private static void AddAzureFilterResults(HttpContext context, JsonObject response)
    {
        if (AzureDeploymentModel(context) is null)
        {
            return;
        }

        response["prompt_filter_results"] = new JsonArray(new JsonObject { ["prompt_index"] = 0, ["content_filter_results"] = FilterResults() });
        foreach (var choice in response["choices"]!.AsArray())
        {
            choice!["content_filter_results"] = FilterResults();
        }
    }

    /// <summary>Azure's first stream chunk: empty id, model and choices; only the prompt's filter results.</summary>
    private static JsonObject AzurePromptFilterChunk() => new()
    {
        ["choices"] = new JsonArray(),
        ["created"] = 0,
        ["id"] = "",
        ["model"] = "",
        ["object"] = "",
        ["prompt_filter_results"] = new JsonArray(new JsonObject { ["prompt_index"] = 0, ["content_filter_results"] = FilterResults() }),
    };

    private static JsonObject FilterResults() => new()
    {
        ["hate"] = new JsonObject { ["filtered"] = false, ["severity"] = "safe" },
        ["self_harm"] = new JsonObject { ["filtered"] = false, ["severity"] = "safe" },
        ["sexual"] = new JsonObject { ["filtered"] = false, ["severity"] = "safe" },
        ["violence"] = new JsonObject { ["filtered"] = false, ["severity"] = "safe" },
    };
}
