using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Functional;

/// <summary>Editing gateway.yaml applies to new requests without a restart; a bad edit keeps the last good config serving.</summary>
public sealed class HotReloadTests : IAsyncLifetime
{
    private const string AdminKey = "gw-admin-key-0123456789";
    private const string UserKey = "gw-user-key-0123456789ab";
    private GatewayHost _gateway = null!;

    private static string Config(string endpointName, string listen = "http://127.0.0.1:8080") => $$"""
        server: { listen: {{listen}} }
        providers:
          demo: { type: mock }
          secretive: { type: openai_compatible, base_url: "http://127.0.0.1:9/v1", api_key: sk-very-secret-provider-key, headers: { x-vendor-token: vendor-secret-value } }
        endpoints:
          {{endpointName}}: { targets: [ { provider: demo, model: mock-1 } ] }
        keys:
          - { key: {{AdminKey}}, user: ops, role: admin }
          - { key: {{UserKey}}, user: alice }
        tracking: { store: "postgres://gateway:db-password-123@db.internal:5432/gateway" }
        """;

    public async Task InitializeAsync() => _gateway = await GatewayHost.StartAsync(Config("chat"));

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private async Task<int> ChatStatusAsync(string model)
    {
        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat(model), UserKey));
        return (int)response.StatusCode;
    }

    private async Task<JsonElement> AdminConfigAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/config");
        request.Headers.Authorization = new("Bearer", AdminKey);
        using var response = await _gateway.Client.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Good_edit_is_applied_to_new_requests_without_a_restart()
    {
        Assert.Equal(200, await ChatStatusAsync("chat"));

        var outcome = await _gateway.RewriteConfigAsync(Config("assistant"));

        Assert.True(outcome.Applied);
        Assert.Equal(2, outcome.Revision);
        Assert.Equal(404, await ChatStatusAsync("chat"));
        Assert.Equal(200, await ChatStatusAsync("assistant"));
    }

    [Fact]
    public async Task Bad_edit_is_rejected_with_precise_errors_and_the_last_good_config_keeps_serving()
    {
        var outcome = await _gateway.RewriteConfigAsync(Config("assistant").Replace("provider: demo", "provider: dmeo", StringComparison.Ordinal));

        Assert.False(outcome.Applied);
        Assert.Equal([$"{_gateway.ConfigPath}:6:39: endpoints.assistant.targets[0].provider: unknown provider 'dmeo' (did you mean 'demo'?); define it under 'providers'"], outcome.Errors);
        Assert.Equal(200, await ChatStatusAsync("chat"));
        var view = await AdminConfigAsync();
        Assert.Equal(1, view.GetProperty("revision").GetInt32());
        Assert.Equal(outcome.Errors[0], view.GetProperty("last_reload_error").GetProperty("errors")[0].GetString());
    }

    [Fact]
    public async Task A_revision_a_feature_cannot_compile_is_rejected_and_the_last_good_keeps_serving()
    {
        await using var gateway = await GatewayHost.StartAsync(Config("chat"),
            services => services.AddSingleton<Gateway.Configuration.ISnapshotCompiler, RefusesEndpoint>());

        var outcome = await gateway.RewriteConfigAsync(Config(RefusesEndpoint.Name));

        Assert.False(outcome.Applied);
        Assert.Equal("1:1: (config): could not be applied: no table for this endpoint", Assert.Single(outcome.Errors)[(gateway.ConfigPath.Length + 1)..]);
        using var response = await gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat"), UserKey));
        Assert.Equal(200, (int)response.StatusCode);
    }

    private sealed class RefusesEndpoint : Gateway.Configuration.SnapshotCompiler<RefusesEndpoint>
    {
        public const string Name = "unbuildable";

        public override RefusesEndpoint Compile(Gateway.Configuration.Model.GatewayConfig config) =>
            config.Endpoints.ContainsKey(Name) ? throw new InvalidOperationException("no table for this endpoint") : this;
    }

    [Fact]
    public async Task Changing_the_listen_address_needs_a_restart_and_is_not_applied()
    {
        var outcome = await _gateway.RewriteConfigAsync(Config("assistant", "http://127.0.0.1:9999"));

        Assert.False(outcome.Applied);
        Assert.Contains("server.listen: changed from 'http://127.0.0.1:8080' to 'http://127.0.0.1:9999', which needs a restart", Assert.Single(outcome.Errors), StringComparison.Ordinal);
        Assert.Equal(200, await ChatStatusAsync("chat"));
    }

    [Fact]
    public async Task Admin_config_shows_version_and_hash_with_every_secret_redacted()
    {
        using var raw = new HttpRequestMessage(HttpMethod.Get, "/admin/config");
        raw.Headers.Authorization = new("Bearer", AdminKey);
        using var response = await _gateway.Client.SendAsync(raw);
        var text = await response.Content.ReadAsStringAsync();
        var view = JsonDocument.Parse(text).RootElement;

        Assert.Equal(1, view.GetProperty("revision").GetInt32());
        Assert.Equal(64, view.GetProperty("hash").GetString()!.Length);
        Assert.Equal(JsonValueKind.Null, view.GetProperty("last_reload_error").ValueKind);
        var config = view.GetProperty("config");
        Assert.Equal("[redacted]", config.GetProperty("providers").GetProperty("secretive").GetProperty("api_key").GetString());
        Assert.Equal("[redacted]", config.GetProperty("providers").GetProperty("secretive").GetProperty("headers").GetProperty("x-vendor-token").GetString());
        Assert.Equal("[redacted]", config.GetProperty("keys")[0].GetProperty("key").GetString());
        Assert.Equal("postgres://[redacted]@db.internal:5432/gateway", config.GetProperty("tracking").GetProperty("store").GetString());
        Assert.Equal("1m", config.GetProperty("endpoints").GetProperty("chat").GetProperty("timeout").GetString());
        foreach (var secret in new[] { "sk-very-secret", "vendor-secret", AdminKey, UserKey, "db-password" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Admin_reload_forces_a_reload_and_reports_rejections_as_422()
    {
        await File.WriteAllTextAsync(_gateway.ConfigPath, "server: [");
        using var bad = new HttpRequestMessage(HttpMethod.Post, "/admin/reload");
        bad.Headers.Authorization = new("Bearer", AdminKey);

        using var response = await _gateway.Client.SendAsync(bad);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(422, (int)response.StatusCode);
        Assert.Equal("rejected", body.GetProperty("status").GetString());
        Assert.StartsWith($"{_gateway.ConfigPath}:2:1: YAML syntax error: ", body.GetProperty("errors")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(200, await ChatStatusAsync("chat"));
    }

    [Fact]
    public async Task Admin_api_needs_an_admin_key()
    {
        using var anonymous = await _gateway.Client.GetAsync("/admin/config");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/reload");
        request.Headers.Authorization = new("Bearer", UserKey);
        using var user = await _gateway.Client.SendAsync(request);

        Assert.Equal(401, (int)anonymous.StatusCode);
        Assert.Equal(403, (int)user.StatusCode);
        Assert.Equal("POST /admin/reload needs a gateway key with role admin.", (await Http.ReadErrorAsync(user)).Message);
    }

    [Fact]
    public async Task Health_and_readiness_report_the_serving_revision()
    {
        var health = await _gateway.Client.GetFromJsonAsync<JsonElement>("/healthz");
        var ready = await _gateway.Client.GetFromJsonAsync<JsonElement>("/readyz");

        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(1, ready.GetProperty("revision").GetInt32());
    }
}
