using Gateway.Tests.Support;
using Gateway.Usage;
using Npgsql;

namespace Gateway.Tests.Tracking;

/// <summary>
/// Two replicas share one PostgreSQL store. PostgreSQL is stopped in the middle of a load run and started again
/// later: every request is still answered, and afterwards every request's trace is in the store exactly once,
/// with usage rollups that count each once.
/// </summary>
[Collection(UsesPostgres.Name)]
public sealed class PostgresOutageTests(PostgresServer postgres)
{
    private const int Total = 400;

    [Fact]
    public async Task Every_trace_survives_a_store_outage_during_a_load_run_exactly_once()
    {
        var url = await postgres.CreateDatabaseAsync();
        var yaml = $$"""
            server: { auth: none }
            providers: { demo: { type: mock } }
            endpoints: { chat: { targets: [ { provider: demo, model: m } ] } }
            tracking: { store: "{{url}}", flush_interval: 20ms, batch_size: 25, retry_interval: 100ms, write_timeout: 2s }
            """;
        await using var replicaA = await GatewayHost.StartAsync(yaml);
        await using var replicaB = await GatewayHost.StartAsync(yaml);
        GatewayHost[] replicas = [replicaA, replicaB];

        // Four callers share the run; the store goes down after 100 answers and comes back after 250.
        var answered = 0;
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var next = -1;
        async Task CallerAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Total)
            {
                if (i == 100)
                {
                    await stopped.Task; // the outage starts before request 100 is sent
                }

                if (i == 250)
                {
                    resume.TrySetResult();
                    await restarted.Task;
                }

                using var response = await replicas[i % 2].Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat", $"request {i}")));
                response.EnsureSuccessStatusCode();
                Interlocked.Increment(ref answered);
            }
        }

        var callers = Enumerable.Range(0, 4).Select(_ => Task.Run(CallerAsync)).ToList();
        await postgres.StopAsync();
        stopped.SetResult();
        await resume.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await postgres.StartAsync();
        restarted.SetResult();
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(Total, answered);

        foreach (var replica in replicas)
        {
            var writer = replica.Writer();
            await writer.WhenEnqueuedAsync(Total / 2).WaitAsync(GatewayHost.Bound);
            // A connection the outage broke may fail one more write: retry, bounded, until the journal is empty.
            for (var attempt = 0; attempt < 20; attempt++)
            {
                await writer.FlushAsync(CancellationToken.None, retryStoreNow: true).WaitAsync(GatewayHost.Bound);
                if (!writer.Journal.HasPending)
                {
                    break;
                }
            }

            Assert.False(writer.Journal.HasPending, "the journal was not replayed");
        }

        Assert.True(replicaA.Writer().Journaled + replicaB.Writer().Journaled >= 150, "the outage should have sent the middle of the run to the journals");
        await using var connection = new NpgsqlConnection(new Uri(url) is var uri ? $"Host=127.0.0.1;Port={uri.Port};Username=gateway;Database={uri.AbsolutePath.TrimStart('/')};Pooling=false" : "");
        await connection.OpenAsync();
        // Each request's own text, read back from its packed body: every one arrived once, whole.
        var ids = new HashSet<string>();
        var requests = new HashSet<string>();
        var rowCount = 0;
        await using (var rows = new NpgsqlCommand("SELECT request_id, bodies_packed FROM traces", connection))
        await using (var reader = await rows.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rowCount++;
                ids.Add(reader.GetString(0));
                var body = Gateway.Tracking.Store.TracePacking.UnpackBodies((byte[])reader.GetValue(1)).RequestBody ?? "";
                requests.Add(System.Text.RegularExpressions.Regex.Match(body, "request [0-9]+").Value);
            }
        }

        Assert.Equal((Total, Total, Total), (rowCount, ids.Count, requests.Count));
        var report = await UsageReport.RunAsync(replicaA.Writer().Store, DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue.AddYears(-1), [], null, CancellationToken.None);
        Assert.Equal(Total, report.Totals.Sums.Requests);
    }
}
