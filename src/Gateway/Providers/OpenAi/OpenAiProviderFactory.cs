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
        var transformer = new OpenAiRequestTransformer(name, UpstreamCredential.Bearer(config.ApiKey), config.Headers);
        return new OpenAiProvider(name, _ => baseUrl, transformer, forwarder, invoker.Invoker, _logger);
    }
}
