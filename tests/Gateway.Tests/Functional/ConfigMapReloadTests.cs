using Gateway.Tests.Support;

namespace Gateway.Tests.Functional;

/// <summary>
/// A Kubernetes ConfigMap volume updates the way kubelet's atomic writer does: a new timestamped folder, a new
/// "..data" link swapped in by rename, while "gateway.yaml" itself stays a link through "..data" and never changes.
/// </summary>
public sealed class ConfigMapReloadTests
{
    private static string Config(string endpoint) => $$"""
        server: { auth: none }
        providers: { demo: { type: mock } }
        endpoints: { {{endpoint}}: { targets: [ { provider: demo, model: mock-1 } ] } }
        tracking: { enabled: false }
        """;

    [Fact]
    public async Task A_configmap_update_is_reloaded_without_a_restart()
    {
        var directory = Directory.CreateTempSubdirectory("gateway-configmap-").FullName;
        Directory.CreateDirectory(Path.Combine(directory, "..2026_11_23_10_00_00.1"));
        await File.WriteAllTextAsync(Path.Combine(directory, "..2026_11_23_10_00_00.1", "gateway.yaml"), Config("chat"));
        File.CreateSymbolicLink(Path.Combine(directory, "..data"), "..2026_11_23_10_00_00.1");
        File.CreateSymbolicLink(Path.Combine(directory, "gateway.yaml"), Path.Combine("..data", "gateway.yaml"));
        await using var gateway = await GatewayHost.StartAtAsync(Path.Combine(directory, "gateway.yaml"));

        var reloaded = new TaskCompletionSource<Gateway.Configuration.ReloadOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        gateway.Store.Reloaded += outcome =>
        {
            if (!outcome.Unchanged)
            {
                reloaded.TrySetResult(outcome);
            }
        };

        // kubelet: write the new revision, point a temporary link at it, rename the link over "..data".
        Directory.CreateDirectory(Path.Combine(directory, "..2026_11_23_10_05_00.2"));
        await File.WriteAllTextAsync(Path.Combine(directory, "..2026_11_23_10_05_00.2", "gateway.yaml"), Config("assistant"));
        File.CreateSymbolicLink(Path.Combine(directory, "..data_tmp"), "..2026_11_23_10_05_00.2");
        // rename(2) of one link over another, as kubelet does; File.Move would look through the links.
        using (var rename = System.Diagnostics.Process.Start("mv", ["-T", Path.Combine(directory, "..data_tmp"), Path.Combine(directory, "..data")]))
        {
            await rename.WaitForExitAsync().WaitAsync(GatewayHost.Bound);
            Assert.Equal(0, rename.ExitCode);
        }

        var outcome = await reloaded.Task.WaitAsync(GatewayHost.Bound);
        Assert.True(outcome.Applied);
        using var response = await gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("assistant")));
        Assert.Equal(200, (int)response.StatusCode);
    }
}
