using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

if (args is ["limiter", ..])
{
    return await Gateway.Benchmarks.LimiterBench.RunAsync(args[1..]);
}

if (args is ["tracking-writer", ..])
{
    return await Gateway.Benchmarks.TrackingWriterBench.RunAsync(args[1..]);
}

// In-process toolchain: no generated project to restore and build, so the run works offline and fast;
// ShortRun is enough to rank hot-path costs and track allocations, which is what these are for.
var config = ManualConfig.Create(DefaultConfig.Instance)
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .AddDiagnoser(MemoryDiagnoser.Default)
    .WithOptions(ConfigOptions.DisableLogFile);
BenchmarkSwitcher.FromAssembly(typeof(Gateway.Benchmarks.RequestPathBenchmarks).Assembly).Run(args, config);
return 0;
