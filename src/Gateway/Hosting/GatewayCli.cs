using System.CommandLine;
using Gateway.Configuration;
using Gateway.Providers;

namespace Gateway.Hosting;

/// <summary>The command line: run the gateway (default), validate a config, print the config schema.</summary>
internal static class GatewayCli
{
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var configOption = new Option<string?>("--config", "-c")
        {
            Description = $"Path to gateway.yaml (default: ${ConfigSource.EnvironmentVariable}, else ./gateway.yaml, else the built-in defaults)",
        };
        var root = new RootCommand("AI gateway: one OpenAI-compatible base URL in front of many LLM providers.") { configOption };
        root.SetAction((parse, cancellationToken) => ServeAsync(parse.GetValue(configOption), error, cancellationToken));

        var pathArgument = new Argument<string>("path") { Description = "The gateway.yaml to check", Arity = ArgumentArity.ExactlyOne };
        var validate = new Command("validate", "Check a gateway.yaml and print every problem; exit code 1 when invalid.") { pathArgument };
        validate.SetAction(parse => Validate(parse.GetValue(pathArgument)!, output));
        root.Subcommands.Add(validate);

        var schema = new Command("schema", "Print the JSON Schema of gateway.yaml (for editors and config/gateway.schema.json).");
        schema.SetAction(_ =>
        {
            output.Write(ConfigSchemaGenerator.Generate());
            return 0;
        });
        root.Subcommands.Add(schema);

        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }

    private static int Validate(string path, TextWriter output)
    {
        var result = ConfigLoader.Load(ConfigSource.FromFile(path), ProviderRegistry.KnownTypes);
        if (result.IsValid)
        {
            var config = result.Config!;
            output.WriteLine($"{path}: valid ({config.Providers.Count} providers, {config.Endpoints.Count} endpoints, {config.Keys.Count} keys)");
            return 0;
        }

        foreach (var line in result.FormattedErrors)
        {
            output.WriteLine(line);
        }

        output.WriteLine($"{path}: {result.Errors.Count} error(s)");
        return 1;
    }

    private static async Task<int> ServeAsync(string? configPath, TextWriter error, CancellationToken cancellationToken)
    {
        var source = ConfigSource.Resolve(configPath, Environment.GetEnvironmentVariable(ConfigSource.EnvironmentVariable));
        var result = ConfigLoader.Load(source, ProviderRegistry.KnownTypes);
        if (!result.IsValid)
        {
            foreach (var line in result.FormattedErrors)
            {
                await error.WriteLineAsync(line);
            }

            await error.WriteLineAsync($"The gateway did not start: {result.Errors.Count} error(s) in {source.DisplayName}.");
            return 1;
        }

        await using var app = GatewayApplication.Build(result);
        await app.RunAsync(cancellationToken);
        return 0;
    }
}
