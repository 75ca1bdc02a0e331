using Gateway.Providers.Upstream;
using Gateway.Configuration.Model;
using Gateway.Providers.OpenAi;
using Gateway.Providers.Translation;
using Microsoft.Extensions.Logging;

namespace Gateway.Providers.Gemini;

internal sealed class GeminiProviderFactory(UpstreamInvoker invoker, TimeProvider time, ILoggerFactory loggerFactory) : IProviderFactory
{
    public const string DefaultBaseUrl = "https://generativelanguage.googleapis.com";
    public const string DefaultVersion = "v1"; // the official SDKs' default since @google/genai 3

    private readonly ILogger _logger = loggerFactory.CreateLogger("Gateway.Providers.Gemini");

    public IReadOnlyList<string> Types { get; } = [GeminiDialect.ProviderType];

    public IProvider Create(string name, ProviderConfig config)
    {
        // base_url is the API root; a base_url that already ends in a version (…/v1beta) is taken as it is.
        var root = (config.BaseUrl ?? DefaultBaseUrl).TrimEnd('/');
        var last = root[(root.LastIndexOf('/') + 1)..];
        var versioned = last.Length > 1 && last[0] == 'v' && char.IsAsciiDigit(last[1]) ? root : root + "/" + (config.ApiVersion ?? DefaultVersion);
        var apiKey = config.ApiKey ?? "";
        var dialect = new GeminiDialect(name, new Uri(versioned + "/models/"), apiKey, config.Headers);
        var exchange = new TranslatedExchange(name, dialect.Type, apiKey, invoker.Invoker, _logger);
        return new TranslatedProvider(name, dialect, exchange, time, new GeminiEmbeddings(name, dialect, exchange).SendAsync);
    }
}
