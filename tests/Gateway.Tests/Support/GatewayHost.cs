using System.ClientModel;
using System.ClientModel.Primitives;
using Gateway.Configuration;
using Gateway.Hosting;
using Gateway.Providers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;

namespace Gateway.Tests.Support;

/// <summary>The real gateway on Kestrel at 127.0.0.1 on a free port, configured from a YAML file in a temp folder.</summary>
internal sealed class GatewayHost : IAsyncDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private readonly WebApplication _app;
    private readonly string _directory;

    private GatewayHost(WebApplication app, string directory, string configPath, Uri baseUrl)
    {
        _app = app;
        _directory = directory;
        ConfigPath = configPath;
        BaseUrl = baseUrl;
        Client = new HttpClient { BaseAddress = baseUrl, Timeout = Bound };
    }

    public Uri BaseUrl { get; }

    /// <summary>What an OpenAI SDK takes as its endpoint.</summary>
    public Uri ApiBase => new(BaseUrl, "/v1");

    public string ConfigPath { get; }

    public HttpClient Client { get; }

    public ConfigStore Store => _app.Services.GetRequiredService<ConfigStore>();

    public IServiceProvider Services => _app.Services;

    public static async Task<GatewayHost> StartAsync(string yaml, Action<IServiceCollection>? configureServices = null)
    {
        var directory = Directory.CreateTempSubdirectory("gateway-test-").FullName;
        var path = Path.Combine(directory, "gateway.yaml");
        await File.WriteAllTextAsync(path, yaml);
        return await StartAtAsync(path, configureServices);
    }

    /// <summary>Starts on a config file the test laid out itself; the file's folder is deleted with the host.</summary>
    public static async Task<GatewayHost> StartAtAsync(string path, Action<IServiceCollection>? configureServices = null)
    {
        var directory = Path.GetDirectoryName(path)!;
        var result = ConfigLoader.Load(ConfigSource.FromFile(path), ProviderRegistry.Rules);
        Assert.True(result.IsValid, string.Join("\n", result.FormattedErrors));

        var app = GatewayApplication.Build(result, "http://127.0.0.1:0", configureServices);
        await app.StartAsync().WaitAsync(Bound);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GatewayHost(app, directory, path, new Uri(address));
    }

    /// <summary>SDK options for this gateway; the SDK's own retries are off so each test sees exactly one attempt.</summary>
    public OpenAIClientOptions SdkOptions() => new() { Endpoint = ApiBase, NetworkTimeout = Bound, RetryPolicy = new ClientRetryPolicy(maxRetries: 0) };

    public OpenAIClient Sdk(string key = "no-key-needed") => new(new ApiKeyCredential(key), SdkOptions());

    /// <summary>Writes a new config and waits (bounded) for the file watcher's reload attempt.</summary>
    public async Task<ReloadOutcome> RewriteConfigAsync(string yaml)
    {
        var reloaded = new TaskCompletionSource<ReloadOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnReloaded(ReloadOutcome outcome)
        {
            if (!outcome.Unchanged)
            {
                reloaded.TrySetResult(outcome);
            }
        }

        Store.Reloaded += OnReloaded;
        try
        {
            await File.WriteAllTextAsync(ConfigPath, yaml);
            return await reloaded.Task.WaitAsync(Bound);
        }
        finally
        {
            Store.Reloaded -= OnReloaded;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync().WaitAsync(Bound);
        await _app.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
