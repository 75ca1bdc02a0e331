using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Hosting;
using Gateway.Tests.Support;

namespace Gateway.Tests.Tracking;

/// <summary>
/// What finance reads: /api/usage (JSON and CSV), /api/traces and `gateway usage`, all from the same store,
/// with totals that equal the sum of the traces and keys that see only what their role allows.
/// </summary>
public sealed class UsageApiTests : IAsyncLifetime
{
    private const string AdminKey = "gw-admin-0123456789abcdef";
    private const string FinanceKey = "gw-finance-0123456789abcd";
    private const string AliceKey = "gw-alice-0123456789abcdef";
    private const string BobKey = "gw-bob-0123456789abcdef00";
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayHost.StartAsync("""
            server: { auth: keys }
            keys:
              - { key: gw-admin-0123456789abcdef, user: ops, role: admin }
              - { key: gw-finance-0123456789abcd, user: fin, role: finance }
              - { key: gw-alice-0123456789abcdef, name: alice-key, user: alice, groups: [research, platform] }
              - { key: gw-bob-0123456789abcdef00, name: bob-key, user: bob, groups: [platform] }
            groups: { research: {}, platform: {} }
            providers: { demo: { type: mock } }
            endpoints:
              chat: { targets: [ { provider: demo, model: mock-chat } ] }
              embed: { type: embeddings, targets: [ { provider: demo, model: mock-embed } ] }
            pricing:
              mock-chat: { input: 2.5, output: 10 }
              mock-embed: { input: 0.13, output: 0 }
            """);
        var calls = new[] { (AliceKey, "chat"), (AliceKey, "chat"), (AliceKey, "embed"), (BobKey, "chat"), (BobKey, "nonexistent") };
        foreach (var (key, endpoint) in calls)
        {
            var body = endpoint == "embed" ? """{"model":"embed","input":"hello world"}""" : Http.Chat(endpoint, "What is the capital of Portugal?");
            using var response = await _gateway.Client.SendAsync(Http.Post(endpoint == "embed" ? "/v1/embeddings" : "/v1/chat/completions", body, key));
        }

        await _gateway.TracesAsync(expected: calls.Length);
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private async Task<JsonElement> GetJsonAsync(string path, string key, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await _gateway.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task Usage_by_user_and_endpoint_equals_the_sum_of_the_traces()
    {
        var traces = (await GetJsonAsync("/api/traces?limit=500", FinanceKey)).GetProperty("traces").EnumerateArray().ToList();
        var usage = await GetJsonAsync("/api/usage?group_by=user,endpoint", FinanceKey);

        var rows = usage.GetProperty("rows").EnumerateArray()
            .ToDictionary(r => (r.GetProperty("user").GetString(), r.GetProperty("endpoint").GetString()));
        var expected = traces.GroupBy(t => (t.GetProperty("user").GetString(), t.GetProperty("endpoint").GetString()));
        Assert.Equal(expected.Select(g => g.Key).Order(), rows.Keys.Order());
        foreach (var group in expected)
        {
            var row = rows[group.Key];
            Assert.Equal(group.Count(), row.GetProperty("requests").GetInt32());
            Assert.Equal(group.Count(t => t.GetProperty("state").GetString() == "ERROR"), row.GetProperty("errors").GetInt32());
            Assert.Equal(group.Sum(t => t.GetProperty("prompt_tokens").GetInt64()), row.GetProperty("prompt_tokens").GetInt64());
            Assert.Equal(group.Sum(t => t.GetProperty("completion_tokens").GetInt64()), row.GetProperty("completion_tokens").GetInt64());
            Assert.Equal(group.Sum(t => t.GetProperty("cost_nano_usd").GetInt64()) / 1_000_000_000m, row.GetProperty("cost_usd").GetDecimal());
        }

        Assert.Equal(5, usage.GetProperty("totals").GetProperty("requests").GetInt32());
        Assert.Equal(1, usage.GetProperty("totals").GetProperty("errors").GetInt32());
    }

    [Fact]
    public async Task Usage_as_csv_parses_and_counts_a_request_in_each_of_its_groups()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/usage?group_by=group&interval=day");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        request.Headers.Accept.ParseAdd("text/csv");
        using var response = await _gateway.Client.SendAsync(request);

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("day,group,requests,errors,prompt_tokens,completion_tokens,cached_tokens,reasoning_tokens,total_tokens,estimated_requests,cost_usd", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToDictionary(cells => cells[1]);
        Assert.Equal(["platform", "research"], rows.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("5", rows["platform"][2]); // alice's three and bob's two: both are in platform
        Assert.Equal("3", rows["research"][2]);
        var today = _gateway.Services.GetService(typeof(TimeProvider)) is TimeProvider time ? time.GetUtcNow().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "";
        Assert.All(rows.Values, r => Assert.Equal(today, r[0]));
        Assert.All(rows.Values, r => decimal.Parse(r[10], CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_user_key_sees_only_its_own_usage_and_traces()
    {
        var usage = await GetJsonAsync("/api/usage?group_by=user", AliceKey);
        Assert.Equal(["alice"], usage.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("user").GetString()));

        var traces = (await GetJsonAsync("/api/traces", AliceKey)).GetProperty("traces").EnumerateArray().ToList();
        Assert.Equal(3, traces.Count);
        Assert.All(traces, t => Assert.Equal("alice", t.GetProperty("user").GetString()));

        var denied = await GetJsonAsync("/api/traces?user=bob", AliceKey, HttpStatusCode.Forbidden);
        Assert.Equal("finance_key_required", denied.GetProperty("error").GetProperty("code").GetString());
        var bobs = (await GetJsonAsync("/api/traces?user=bob", AdminKey)).GetProperty("traces")[0].GetProperty("request_id").GetString();
        var hidden = await GetJsonAsync($"/api/traces/{bobs}", AliceKey, HttpStatusCode.NotFound);
        Assert.Equal("trace_not_found", hidden.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Traces_page_newest_first_and_one_trace_comes_with_its_spans()
    {
        var first = await GetJsonAsync("/api/traces?limit=2", AdminKey);
        var second = await GetJsonAsync($"/api/traces?limit=2&cursor={first.GetProperty("next_cursor").GetString()}", AdminKey);
        var third = await GetJsonAsync($"/api/traces?limit=2&cursor={second.GetProperty("next_cursor").GetString()}", AdminKey);

        var ids = new[] { first, second, third }.SelectMany(p => p.GetProperty("traces").EnumerateArray()).Select(t => t.GetProperty("request_id").GetString()).ToList();
        Assert.Equal(5, ids.Distinct().Count());
        Assert.Equal(JsonValueKind.Null, third.GetProperty("next_cursor").ValueKind);
        var times = new[] { first, second, third }.SelectMany(p => p.GetProperty("traces").EnumerateArray()).Select(t => t.GetProperty("started_at_us").GetInt64()).ToList();
        Assert.Equal(times.OrderDescending(), times);

        var errors = (await GetJsonAsync("/api/traces?status=error", AdminKey)).GetProperty("traces");
        var failed = Assert.Single(errors.EnumerateArray());
        Assert.Equal(404, failed.GetProperty("status_code").GetInt32());
        var full = await GetJsonAsync($"/api/traces/{ids[0]}", AdminKey);
        Assert.Contains(full.GetProperty("spans").EnumerateArray(), s => s.GetProperty("name").GetString() == "auth");
    }

    [Fact]
    public async Task A_trace_whose_detail_cannot_be_read_gets_a_503_naming_it_and_stays_hidden_from_other_users()
    {
        var alices = (await GetJsonAsync("/api/traces?user=alice&limit=1", AdminKey)).GetProperty("traces")[0].GetProperty("request_id").GetString();
        var database = Directory.GetFiles(Path.GetDirectoryName(_gateway.ConfigPath)!, "*.db").Single();
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=false"))
        {
            // Detail in a format from a future gateway.
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"UPDATE traces SET spans_packed = X'07' WHERE request_id = '{alices}'";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var unreadable = await GetJsonAsync($"/api/traces/{alices}", AdminKey, HttpStatusCode.ServiceUnavailable);

        Assert.Equal("trace_detail_unreadable", unreadable.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal($"The trace '{alices}' is stored, but its spans and bodies could not be read (a trace's packed detail has format 7, which this gateway does not know). A newer gateway may have written them: read it through a replica of the newest version.",
            unreadable.GetProperty("error").GetProperty("message").GetString());
        await GetJsonAsync($"/api/traces/{alices}", AliceKey, HttpStatusCode.ServiceUnavailable);
        var hidden = await GetJsonAsync($"/api/traces/{alices}", BobKey, HttpStatusCode.NotFound);
        Assert.Equal("trace_not_found", hidden.GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("/api/usage?group_by=colour", "group_by", "Query parameter 'group_by': 'colour' is not one of user, group, key, endpoint, provider, model, day, hour.")]
    [InlineData("/api/usage?from=yesterday", "from", "Query parameter 'from': 'yesterday' is not a date (2026-11-01) or a date and time (2026-11-01T09:00:00Z).")]
    [InlineData("/api/usage?from=2026-11-02&to=2026-11-01", "to", "Query parameter 'to': comes before from.")]
    [InlineData("/api/traces?limit=0", "limit", "Query parameter 'limit': must be a whole number from 1 to 500.")]
    [InlineData("/api/traces?status=maybe", "status", "Query parameter 'status': 'maybe' is not ok, error or an HTTP status code.")]
    public async Task Bad_query_parameters_get_a_400_naming_them(string path, string param, string message)
    {
        var error = (await GetJsonAsync(path, AdminKey, HttpStatusCode.BadRequest)).GetProperty("error");

        Assert.Equal((param, message), (error.GetProperty("param").GetString(), error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task The_reading_apis_need_a_key()
    {
        using var response = await _gateway.Client.GetAsync("/api/usage");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("table")]
    [InlineData("csv")]
    [InlineData("json")]
    public async Task The_usage_verb_prints_the_same_report_from_the_store(string format)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await GatewayCli.RunAsync(["usage", "--config", _gateway.ConfigPath, "--by", "user", "--format", format], output, error);

        Assert.True(code == 0, error.ToString());
        var text = output.ToString();
        switch (format)
        {
            case "csv":
                var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(["user", "alice", "bob"], lines.Select(l => l.Split(',')[0]));
                Assert.Equal("3", lines[1].Split(',')[1]);
                break;
            case "json":
                var report = JsonDocument.Parse(text).RootElement;
                Assert.Equal(5, report.GetProperty("totals").GetProperty("requests").GetInt32());
                break;
            default:
                Assert.Matches(@"(?m)^alice\s+3\s+0\s", text);
                Assert.Matches(@"(?m)^TOTAL\s+5\s+1\s", text);
                break;
        }
    }
}
