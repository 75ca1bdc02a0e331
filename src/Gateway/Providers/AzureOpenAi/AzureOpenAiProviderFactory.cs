using Gateway.Providers.Upstream;
using System.Collections.Concurrent;
using Gateway.Configuration.Model;
using Gateway.Providers.OpenAi;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Providers.AzureOpenAi;

/// <summary>
/// Azure OpenAI: OpenAI's wire format at {endpoint}/openai/deployments/{deployment}/{operation}?api-version=…,
/// keyed with the api-key header or a Microsoft Entra bearer token. A target's model is the deployment name.
/// </summary>
internal sealed class AzureOpenAiProviderFactory(IHttpForwarder forwarder, UpstreamInvoker invoker, ILoggerFactory loggerFactory) : IProviderFactory
{
    public const string Type = "azure_openai";
    public const string DefaultApiVersion = "2024-10-21";
    public const string KeyHeader = "api-key";

    private readonly ILogger _logger = loggerFactory.CreateLogger("Gateway.Providers.AzureOpenAi");

    public IReadOnlyList<string> Types { get; } = [Type];

    public IProvider Create(string name, ProviderConfig config)
    {
        // Validation guarantees base_url and exactly one of api_key and bearer_token.
        var root = config.BaseUrl!.TrimEnd('/');
        if (!root.EndsWith("/openai", StringComparison.OrdinalIgnoreCase))
        {
            root += "/openai";
        }

        var credential = string.IsNullOrEmpty(config.ApiKey)
            ? UpstreamCredential.Bearer(config.BearerToken)
            : new UpstreamCredential(KeyHeader, config.ApiKey, config.ApiKey);
        var query = "?api-version=" + Uri.EscapeDataString(config.ApiVersion ?? DefaultApiVersion);
        var transformer = new OpenAiRequestTransformer(name, credential, config.Headers, query, normalizeErrorsAs: Type);

        // One URL prefix per deployment, built on first use and reused for every call after.
        var deployments = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        string Destination(ProviderTarget target) =>
            deployments.GetOrAdd(target.Model, static (model, prefix) => $"{prefix}/deployments/{Uri.EscapeDataString(model)}", root);

        return new OpenAiProvider(name, Destination, transformer, forwarder, invoker.Invoker, _logger, config.StreamUsage);
    }
}
