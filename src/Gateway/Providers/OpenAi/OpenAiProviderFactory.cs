using Gateway.Providers.Upstream;
using Gateway.Configuration.Model;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Providers.OpenAi;

internal sealed class OpenAiProviderFactory(IHttpForwarder forwarder, UpstreamInvoker invoker, ILoggerFactory loggerFactory) : IProviderFactory
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Gateway.Providers.OpenAi");

    public IReadOnlyList<string> Types { get; } = [.. OpenAiPresets.All.Keys];

    public IProvider Create(string name, ProviderConfig config)
    {
        // Validation guarantees a base URL wherever the preset has none.
        var baseUrl = (config.BaseUrl ?? OpenAiPresets.All[config.Type].DefaultBaseUrl!).TrimEnd('/');
        // OpenAI's own errors reach OpenAI clients untouched; every other server's are rewritten to name it, so a
        // caller behind a weighted split or a fallback chain can tell which provider refused.
        var normalizeAs = config.Type == OpenAiPresets.OpenAi ? null : config.Type;
        var transformer = new OpenAiRequestTransformer(name, UpstreamCredential.Bearer(config.ApiKey), config.Headers, normalizeErrorsAs: normalizeAs);
        return new OpenAiProvider(name, _ => baseUrl, transformer, forwarder, invoker.Invoker, _logger, config.StreamUsage);
    }
}
