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

        root.Subcommands.Add(UsageCommand(configOption, output, error));

        var schema = new Command("schema", "Print the JSON Schema of gateway.yaml (for editors and config/gateway.schema.json).");
        schema.SetAction(_ =>
        {
            output.Write(ConfigSchemaGenerator.Generate(ProviderRegistry.KnownTypes));
            return 0;
        });
        root.Subcommands.Add(schema);

        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }

    /// <summary>gateway usage --from 2026-11-01 --to 2026-12-01 --by group --format table|csv|json: the usage API's report, read from the store.</summary>
    private static Command UsageCommand(Option<string?> configOption, TextWriter output, TextWriter error)
    {
        var from = new Option<string?>("--from") { Description = "Start: a date (2026-11-01, UTC) or date and time; default: the start of this month" };
        var to = new Option<string?>("--to") { Description = "End (exclusive): a date or date and time; default: now" };
        var by = new Option<string?>("--by") { Description = "Group by, comma-separated: user, group, key, endpoint, provider, model, day, hour" };
        var interval = new Option<string?>("--interval") { Description = "Add a day or hour column" };
        var user = new Option<string?>("--user") { Description = "Only this user's usage" };
        var format = new Option<string>("--format") { Description = "table, csv or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var command = new Command("usage", "Print usage and cost from the tracking store named in gateway.yaml.") { configOption, from, to, by, interval, user, format };
        command.SetAction((parse, cancellationToken) => Usage.UsageCli.RunAsync(
            new Usage.UsageCli.Arguments(parse.GetValue(configOption), parse.GetValue(from), parse.GetValue(to), parse.GetValue(by), parse.GetValue(interval), parse.GetValue(user), parse.GetValue(format)!),
            output, error, cancellationToken));
        return command;
    }

    private static int Validate(string path, TextWriter output)
    {
        var result = ConfigLoader.Load(ConfigSource.FromFile(path), ProviderRegistry.Rules);
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
        var result = ConfigLoader.Load(source, ProviderRegistry.Rules);
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
