using Gateway.Configuration;
using Gateway.Hosting;
using Gateway.Providers;

namespace Gateway.Tests.Hosting;

/// <summary>`gateway validate` is usable in an admin's CI pipeline: the errors on stdout, exit code 1 when invalid.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await GatewayCli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private string Write(string yaml)
    {
        var path = Path.Combine(_directory, "gateway.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public async Task Validate_exits_0_and_summarises_a_valid_file()
    {
        var path = Write(Support.TestConfigs.MockOnly);

        var (code, output, _) = await RunAsync("validate", path);

        Assert.Equal(0, code);
        Assert.Equal($"{path}: valid (1 providers, 3 endpoints, 0 keys)\n", output);
    }

    [Fact]
    public async Task Validate_exits_1_and_prints_every_error()
    {
        var path = Write(Support.TestConfigs.MockOnly.Replace("provider: demo", "provider: dmeo", StringComparison.Ordinal).Replace("type: chat", "type: chats", StringComparison.Ordinal));

        var (code, output, _) = await RunAsync("validate", path);

        Assert.Equal(1, code);
        Assert.Equal(
            $"""
            {path}:5:17: endpoints.chat.type: 'chats' is not one of chat, completions, embeddings (did you mean 'chat'?)
            {path}:5:47: endpoints.chat.targets[0].provider: unknown provider 'dmeo' (did you mean 'demo'?); define it under 'providers'
            {path}:6:60: endpoints.completions.targets[0].provider: unknown provider 'dmeo' (did you mean 'demo'?); define it under 'providers'
            {path}:7:58: endpoints.embeddings.targets[0].provider: unknown provider 'dmeo' (did you mean 'demo'?); define it under 'providers'
            {path}: 4 error(s)

            """, output);
    }

    [Fact]
    public async Task Validate_reports_a_missing_file_without_a_stack_trace()
    {
        var path = Path.Combine(_directory, "absent.yaml");

        var (code, output, _) = await RunAsync("validate", path);

        Assert.Equal(1, code);
        Assert.Equal($"{path}:1:1: the file does not exist\n{path}: 1 error(s)\n", output);
    }

    [Fact]
    public async Task Serve_refuses_to_start_on_an_invalid_config_and_says_why()
    {
        var path = Write("server: { listen: http://0.0.0.0:8080, auth: none }\nproviders: { demo: { type: mock } }\nendpoints: {}\n");

        var (code, _, error) = await RunAsync("--config", path);

        Assert.Equal(1, code);
        Assert.StartsWith($"{path}:1:46: server.auth: 'none' runs the gateway without keys", error, StringComparison.Ordinal);
        Assert.EndsWith($"The gateway did not start: 1 error(s) in {path}.\n", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_prints_the_checked_in_json_schema()
    {
        var (code, output, _) = await RunAsync("schema");

        Assert.Equal(0, code);
        Assert.Equal(ConfigSchemaGenerator.Generate(ProviderRegistry.KnownTypes), output);
    }
}
