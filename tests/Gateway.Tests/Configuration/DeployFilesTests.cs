using Gateway.Configuration;
using Gateway.Providers;
using Gateway.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Gateway.Tests.Configuration;

/// <summary>The Kubernetes files in deploy/ stay true to the gateway: a config it accepts, wired the way it runs.</summary>
public sealed class DeployFilesTests
{
    private static readonly string Folder = Repository.File("deploy/kubernetes");

    [Fact]
    public void Kustomization_lists_files_that_exist_and_leaves_the_example_secret_out()
    {
        var resources = Sequence(Documents("kustomization.yaml").Single(), "resources").Select(Scalar).ToList();

        Assert.All(resources, file => Assert.True(File.Exists(Path.Combine(Folder, file)), file));
        Assert.DoesNotContain("secret.example.yaml", resources);
    }

    [Fact]
    public void The_configmaps_gateway_yaml_is_valid_with_exactly_the_example_secrets_variables()
    {
        var secret = Documents("secret.example.yaml").Single();
        var environment = Map(secret, "stringData").Children.ToDictionary(e => Scalar(e.Key), e => Scalar(e.Value));
        var yaml = Scalar(Map(Documents("configmap.yaml").Single(), "data"), "gateway.yaml");
        var asked = new HashSet<string>();

        var result = ConfigLoader.Parse(new ConfigSource("deploy/kubernetes/configmap.yaml#gateway.yaml", null), yaml, "", ProviderRegistry.Rules, name =>
        {
            asked.Add(name);
            return environment.GetValueOrDefault(name);
        });

        Assert.True(result.IsValid, string.Join("\n", result.FormattedErrors));
        Assert.Equal(environment.Keys.Order(), asked.Order());
        Assert.Equal("http://0.0.0.0:8080", result.Config!.Server.Listen);
        Assert.StartsWith("redis://", result.Config.RateLimits!.Store, StringComparison.Ordinal);
        Assert.StartsWith("postgres://", result.Config.Tracking.Store, StringComparison.Ordinal);
    }

    [Fact]
    public void The_deployment_runs_the_config_from_the_configmap_on_its_port_and_probes_the_health_endpoints()
    {
        var deployment = Documents("deployment.yaml").Single();
        var pod = Map(Map(Map(deployment, "spec"), "template"), "spec");
        var container = (YamlMappingNode)Sequence(pod, "containers").Single();

        Assert.Equal("8080", Scalar((YamlMappingNode)Sequence(container, "ports").Single(), "containerPort"));
        var configPath = Scalar((YamlMappingNode)Sequence(container, "env").Single(e => Scalar((YamlMappingNode)e, "name") == "GATEWAY_CONFIG"), "value");
        var configMount = Sequence(container, "volumeMounts").Cast<YamlMappingNode>().Single(m => Scalar(m, "name") == "config");
        // A directory mount, not subPath: only then do ConfigMap edits reach the pod (and the watcher reloads them).
        Assert.Equal(Scalar(configMount, "mountPath") + "/gateway.yaml", configPath);
        Assert.False(configMount.Children.ContainsKey("subPath"));
        var configVolume = Sequence(pod, "volumes").Cast<YamlMappingNode>().Single(v => Scalar(v, "name") == "config");
        Assert.Equal("gateway-config", Scalar(Map(configVolume, "configMap"), "name"));
        Assert.Equal("/readyz", Scalar(Map(Map(container, "readinessProbe"), "httpGet"), "path"));
        Assert.Equal("/healthz", Scalar(Map(Map(container, "livenessProbe"), "httpGet"), "path"));
        Assert.Equal("gateway-secrets", Scalar(Map((YamlMappingNode)Sequence(container, "envFrom").Single(), "secretRef"), "name"));
    }

    [Fact]
    public void Redis_is_served_where_the_config_looks_for_it()
    {
        var service = Documents("redis.yaml").Single(d => Scalar(d, "kind") == "Service");
        var yaml = Scalar(Map(Documents("configmap.yaml").Single(), "data"), "gateway.yaml");

        var port = Scalar((YamlMappingNode)Sequence(Map(service, "spec"), "ports").Single(), "port");
        Assert.Contains($"@{Scalar(Map(service, "metadata"), "name")}:{port}\"", yaml);
    }

    private static List<YamlMappingNode> Documents(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Folder, file));
        stream.Load(reader);
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    private static IEnumerable<YamlNode> Sequence(YamlMappingNode node, string key) => ((YamlSequenceNode)node.Children[new YamlScalarNode(key)]).Children;

    private static string Scalar(YamlMappingNode node, string key) => Scalar(node.Children[new YamlScalarNode(key)]);

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value!;
}
