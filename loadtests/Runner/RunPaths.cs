namespace LoadTests.Runner;

/// <summary>Where the built systems, configs and outputs of a run are, all relative to the repository root.</summary>
internal sealed record RunPaths(string RepoRoot, string WorkDirectory)
{
    private const string Release = "bin/Release/net10.0";

    public string LoadTests => Path.Combine(RepoRoot, "loadtests");

    public string GatewayDll => Path.Combine(RepoRoot, "src/Gateway", Release, "gateway.dll");

    public string YarpProxyDll => Path.Combine(LoadTests, "YarpProxy", Release, "YarpProxy.dll");

    public string UpstreamDll => Path.Combine(LoadTests, "FakeUpstream", Release, "FakeUpstream.dll");

    public string BareConfig => Path.Combine(LoadTests, "configs/gateway-bare.yaml");

    public string FullConfig => Path.Combine(LoadTests, "configs/gateway-full.yaml");

    public string NginxTemplate => Path.Combine(LoadTests, "configs/nginx.conf");

    public string WrkScript => Path.Combine(LoadTests, "wrk/post.lua");

    public string PortkeyDirectory => Path.Combine(LoadTests, "portkey");

    public string PortkeyServer => Path.Combine(PortkeyDirectory, "node_modules/@portkey-ai/gateway/build/start-server.js");

    public string PortkeyLoopback => Path.Combine(PortkeyDirectory, "loopback.mjs");

    public string Log(string name) => Path.Combine(WorkDirectory, name + ".log");

    /// <summary>Every file a run needs, so a missing build or install fails before anything starts.</summary>
    public IEnumerable<string> Required(IEnumerable<string> systems)
    {
        yield return UpstreamDll;
        yield return WrkScript;
        foreach (var system in systems)
        {
            switch (system)
            {
                case Systems.SystemCatalog.Yarp:
                    yield return YarpProxyDll;
                    break;
                case Systems.SystemCatalog.Nginx:
                    yield return NginxTemplate;
                    break;
                case Systems.SystemCatalog.Portkey:
                    yield return PortkeyServer;
                    break;
                case Systems.SystemCatalog.GatewayBare or Systems.SystemCatalog.GatewayFull or Systems.SystemCatalog.GatewayUntraced:
                    yield return GatewayDll;
                    yield return system == Systems.SystemCatalog.GatewayBare ? BareConfig : FullConfig;
                    break;
            }
        }
    }
}
