using Gateway.Hosting;

return await GatewayCli.RunAsync(args, Console.Out, Console.Error);
