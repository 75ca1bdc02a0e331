using Gateway.Providers.Upstream;
using Gateway.Configuration.Model;
using Gateway.Providers.OpenAi;
using Gateway.Providers.Translation;
using Microsoft.Extensions.Logging;

namespace Gateway.Providers.Bedrock;

internal sealed class BedrockProviderFactory(UpstreamInvoker invoker, TimeProvider time, ILoggerFactory loggerFactory) : IProviderFactory
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Gateway.Providers.Bedrock");

    public IReadOnlyList<string> Types { get; } = [BedrockDialect.ProviderType];

    /// <summary>The runtime endpoint of a region; base_url overrides it (a VPC endpoint, a FIPS endpoint, a test fake).</summary>
    public static string DefaultBaseUrl(string region) => $"https://bedrock-runtime.{region}.amazonaws.com";

    public IProvider Create(string name, ProviderConfig config)
    {
        // Validation guarantees the region, and that keys come as a pair.
        var region = config.Region!;
        var root = (config.BaseUrl ?? DefaultBaseUrl(region)).TrimEnd('/') + "/";
        var signer = new BedrockSigner(region, config.ApiKey, config.AwsAccessKeyId, config.AwsSecretAccessKey, config.AwsSessionToken);
        var dialect = new BedrockDialect(name, new Uri(root), signer, config.Headers);
        return new TranslatedProvider(name, dialect, new TranslatedExchange(name, dialect.Type, signer.Secret, invoker.Invoker, _logger), time);
    }
}
