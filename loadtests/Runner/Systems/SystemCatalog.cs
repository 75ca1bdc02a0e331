using LoadTests.Runner.Processes;

namespace LoadTests.Runner.Systems;

/// <summary>The systems of one run, in the order they are measured.</summary>
internal sealed class SystemCatalog(RunPaths paths, Uri upstream)
{
    public const string Direct = "direct";

    /// <summary>The direct call once more at the end: how far the machine drifted during the run (the noise floor).</summary>
    public const string DirectAgain = "direct-again";
    public const string Yarp = "yarp";
    public const string Nginx = "nginx";
    public const string Portkey = "portkey";
    public const string GatewayBare = "gateway-bare";
    public const string GatewayFull = "gateway-full";

    /// <summary>The full configuration with tracking off: the pair that measures what tracing costs.</summary>
    public const string GatewayUntraced = "gateway-untraced";
    public const string LoadTestKey = "gw-load-tester-0123456789abcdef";
    private const string UpstreamKey = "sk-load-test";

    public static IReadOnlyList<string> AllIds { get; } = [Direct, Yarp, Nginx, Portkey, GatewayBare, GatewayUntraced, GatewayFull];

    public IReadOnlyList<SystemUnderTest> Create(IEnumerable<string> ids) => [.. ids.Select(Create)];

    private SystemUnderTest Create(string id) => id switch
    {
        Direct => new SystemUnderTest
        {
            Id = Direct, Label = "direct to upstream", ChatModel = "gpt-4o-mini", EmbeddingsModel = "text-embedding-3-small",
            Headers = Bearer(UpstreamKey), Start = (_, _) => null,
        },
        DirectAgain => Create(Direct) with { Id = DirectAgain, Label = "direct to upstream, again at the end of the run" },
        Yarp => new SystemUnderTest
        {
            Id = Yarp, Label = "plain YARP 2.3", ChatModel = "gpt-4o-mini", EmbeddingsModel = "text-embedding-3-small",
            Headers = Bearer(UpstreamKey),
            Start = (port, log) => Dotnet(Yarp, paths.YarpProxyDll, log, ["--urls", Loopback(port), "--upstream", upstream.ToString()]),
        },
        Nginx => new SystemUnderTest
        {
            Id = Nginx, Label = "nginx " + Tools.Version("nginx"), ChatModel = "gpt-4o-mini", EmbeddingsModel = "text-embedding-3-small",
            Headers = Bearer(UpstreamKey), Start = StartNginx,
        },
        Portkey => new SystemUnderTest
        {
            Id = Portkey, Label = "Portkey gateway " + Tools.PortkeyVersion(paths), ChatModel = "gpt-4o-mini", EmbeddingsModel = "text-embedding-3-small",
            Headers = new Dictionary<string, string>(Bearer(UpstreamKey))
            {
                ["x-portkey-provider"] = "openai",
                ["x-portkey-custom-host"] = new Uri(upstream, "v1").ToString(),
            },
            ReadinessPath = "/",
            Start = StartPortkey,
        },
        GatewayBare => new SystemUnderTest
        {
            Id = GatewayBare, Label = "our gateway, bare", ChatModel = "chat", EmbeddingsModel = "embeddings",
            Headers = new Dictionary<string, string>(),
            Start = (port, log) => Gateway(GatewayBare, paths.BareConfig, port, log),
        },
        GatewayFull => new SystemUnderTest
        {
            Id = GatewayFull, Label = "our gateway, full", ChatModel = "chat", EmbeddingsModel = "embeddings",
            Headers = Bearer(LoadTestKey),
            Start = (port, log) => Gateway(GatewayFull, paths.FullConfig, port, log),
        },
        GatewayUntraced => new SystemUnderTest
        {
            Id = GatewayUntraced, Label = "our gateway, full but tracking off", ChatModel = "chat", EmbeddingsModel = "embeddings",
            Headers = Bearer(LoadTestKey),
            Start = (port, log) => Gateway(GatewayUntraced, paths.FullConfig, port, log, tracking: false),
        },
        _ => throw new ArgumentException($"unknown system '{id}'; known: {string.Join(", ", AllIds)}", nameof(id)),
    };

    private ManagedProcess Gateway(string name, string config, int port, string log, bool tracking = true) =>
        Dotnet(name, paths.GatewayDll, log, ["--config", config], new Dictionary<string, string>
        {
            ["BENCH_GATEWAY_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["BENCH_UPSTREAM"] = upstream.ToString().TrimEnd('/'),
            ["BENCH_WORK"] = paths.WorkDirectory,
            ["BENCH_TRACKING"] = tracking ? "true" : "false",
        });

    private ManagedProcess StartNginx(int port, string log)
    {
        var prefix = Path.Combine(paths.WorkDirectory, "nginx");
        Directory.CreateDirectory(prefix);
        var conf = File.ReadAllText(paths.NginxTemplate)
            .Replace("{{PREFIX}}", prefix, StringComparison.Ordinal)
            .Replace("{{PORT}}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{UPSTREAM_PORT}}", upstream.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var confPath = Path.Combine(prefix, "nginx.conf");
        File.WriteAllText(confPath, conf);
        return ManagedProcess.Start(Nginx, Tools.Nginx, ["-p", prefix, "-c", confPath, "-g", "daemon off;"], log);
    }

    private ManagedProcess StartPortkey(int port, string log) =>
        ManagedProcess.Start(Portkey, "node",
            ["--import", paths.PortkeyLoopback, paths.PortkeyServer, $"--port={port}", "--headless"], log,
            new Dictionary<string, string> { ["NODE_ENV"] = "production" }, paths.PortkeyDirectory);

    private static ManagedProcess Dotnet(string name, string dll, string log, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null) =>
        ManagedProcess.Start(name, "dotnet", [dll, .. arguments], log, environment);

    private static string Loopback(int port) => $"http://127.0.0.1:{port}";

    private static Dictionary<string, string> Bearer(string key) => new() { ["Authorization"] = "Bearer " + key };
}
