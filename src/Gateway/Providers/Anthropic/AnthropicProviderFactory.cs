using Gateway.Providers.Upstream;
using Gateway.Configuration.Model;
using Gateway.Providers.OpenAi;
using Gateway.Providers.Translation;
using Microsoft.Extensions.Logging;

namespace Gateway.Providers.Anthropic;

internal sealed class AnthropicProviderFactory(UpstreamInvoker invoker, TimeProvider time, ILoggerFactory loggerFactory) : IProviderFactory
{
    public const string DefaultBaseUrl = "https://api.anthropic.com";
    public const string DefaultVersion = "2023-06-01";

    /// <summary>Anthropic requires max_tokens; OpenAI callers often leave it out. Claude models all allow this many.</summary>
    public const int DefaultMaxTokens = 4096;

    private readonly ILogger _logger = loggerFactory.CreateLogger("Gateway.Providers.Anthropic");

    public IReadOnlyList<string> Types { get; } = [AnthropicDialect.ProviderType];

    public IProvider Create(string name, ProviderConfig config)
    {
        // Validation guarantees the key. base_url is the API root; the Messages API is under /v1.
        var root = (config.BaseUrl ?? DefaultBaseUrl).TrimEnd('/');
        var messages = new Uri(root.EndsWith("/v1", StringComparison.Ordinal) ? root + "/messages" : root + "/v1/messages");
        var apiKey = config.ApiKey ?? "";
        var dialect = new AnthropicDialect(name, messages, apiKey, config.ApiVersion ?? DefaultVersion, DefaultMaxTokens, config.Headers);
        return new TranslatedProvider(name, dialect, new TranslatedExchange(name, dialect.Type, apiKey, invoker.Invoker, _logger), time);
    }
}
