using System.Text.RegularExpressions;
using Gateway.Configuration;
using Gateway.Hosting;
using Gateway.Providers;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Configuration;

/// <summary>The schema for editors and every sample config in the repository stay true to what the gateway accepts.</summary>
public sealed partial class ConfigFilesTests
{
    private static readonly string Root = Repository.Root;

    private static readonly Dictionary<string, string> SampleEnvironment = new()
    {
        ["OPENAI_API_KEY"] = "sk-sample-0123456789",
        ["AZURE_OPENAI_API_KEY"] = "azure-sample-0123456789",
        ["GROQ_API_KEY"] = "gsk-sample-0123456789",
        ["ANTHROPIC_API_KEY"] = "sk-ant-sample-0123456789",
        ["GEMINI_API_KEY"] = "AIza-sample-0123456789",
        ["ALICE_KEY"] = "gw-alice-sample-0123456789",
        ["BOB_KEY"] = "gw-bob-sample-0123456789",
        ["ADMIN_KEY"] = "gw-admin-sample-0123456789",
        ["FINANCE_KEY"] = "gw-finance-sample-0123456789",
        ["PG_PASSWORD"] = "pg-sample-password",
        ["REDIS_PASSWORD"] = "redis-sample-password",
    };

    [Fact]
    public void Checked_in_json_schema_matches_the_config_model()
    {
        var checkedIn = File.ReadAllText(Path.Combine(Root, "config", "gateway.schema.json"));

        // Regenerate with: dotnet run --project src/Gateway -- schema > config/gateway.schema.json
        Assert.Equal(ConfigSchemaGenerator.Generate(ProviderRegistry.KnownTypes), checkedIn);
    }

    public static TheoryData<string> SampleFiles()
    {
        var data = new TheoryData<string>();
        data.Add("gateway.yaml");
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "config"), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(Root, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void Sample_config_file_is_valid(string relativePath)
    {
        var result = ConfigLoader.Load(ConfigSource.FromFile(Path.Combine(Root, relativePath)), ProviderRegistry.Rules, SampleEnvironment.GetValueOrDefault);

        Assert.True(result.IsValid, string.Join("\n", result.FormattedErrors));
    }

    public static TheoryData<string, int> DocumentedConfigs()
    {
        var data = new TheoryData<string, int>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var blocks = YamlBlock().Matches(File.ReadAllText(file));
            for (var i = 0; i < blocks.Count; i++)
            {
                if (blocks[i].Groups[1].Value.StartsWith("# gateway.yaml", StringComparison.Ordinal))
                {
                    data.Add(Path.GetRelativePath(Root, file), i);
                }
            }
        }

        return data;
    }

    /// <summary>Every ```yaml block in docs/ that starts with "# gateway.yaml" is a complete, valid config.</summary>
    [Theory]
    [MemberData(nameof(DocumentedConfigs))]
    public void Documented_config_is_valid(string relativePath, int block)
    {
        var yaml = YamlBlock().Matches(File.ReadAllText(Path.Combine(Root, relativePath)))[block].Groups[1].Value;

        var result = ConfigLoader.Parse(new ConfigSource($"{relativePath}#{block}", null), yaml, "", ProviderRegistry.Rules, SampleEnvironment.GetValueOrDefault);

        Assert.True(result.IsValid, string.Join("\n", result.FormattedErrors));
    }

    [Fact]
    public void Embedded_defaults_are_the_root_gateway_yaml()
    {
        Assert.Equal(File.ReadAllBytes(Path.Combine(Root, "gateway.yaml")), ConfigSource.Embedded.ReadBytes());
    }

    [Fact]
    public void Provider_types_known_to_validation_are_the_registered_factories()
    {
        // The factories the host really registers, so a provider left out of AddGateway fails here.
        var services = new ServiceCollection().AddLogging();
        services.AddGateway(ConfigLoader.Load(ConfigSource.Embedded, ProviderRegistry.Rules));
        using var provider = services.BuildServiceProvider();
        var registry = provider.GetRequiredService<ProviderRegistry>();

        Assert.Equal(ProviderRegistry.KnownTypes.Order(StringComparer.Ordinal), registry.Types.Order(StringComparer.Ordinal));
    }

    [GeneratedRegex("```yaml\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();
}
