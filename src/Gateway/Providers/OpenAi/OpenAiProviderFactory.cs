using Gateway.Configuration.Model;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Providers.OpenAi;

internal sealed class OpenAiProviderFactory(IHttpForwarder forwarder, UpstreamInvoker invoker, ILoggerFactory loggerFactory) : IProviderFactory
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Gateway.Providers.OpenAi");

    public IReadOnlyList<string> Types { get; } = ["openai", "openai_compatible"];

    public IProvider Create(string name, ProviderConfig config)
    {
        var baseUrl = config.BaseUrl ?? OpenAiProvider.DefaultBaseUrl;
        var transformer = new OpenAiRequestTransformer(name, baseUrl, config.ApiKey, config.Headers);
        return new OpenAiProvider(name, baseUrl, transformer, forwarder, invoker.Invoker, _logger);
    }
}
