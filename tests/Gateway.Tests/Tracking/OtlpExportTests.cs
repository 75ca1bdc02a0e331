using System.Text;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Tracking;

/// <summary>tracking.otlp: the spans the store keeps also reach an OTLP/HTTP collector, as protobuf on /v1/traces.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task The_same_spans_go_out_over_otlp_with_genai_attributes()
    {
        // Every export, in order: OpenTelemetry listens to sources by name, so other test gateways running in this
        // process may be exported here too; the test looks for its own trace among them.
        var received = System.Threading.Channels.Channel.CreateUnbounded<(string Path, string? ContentType, byte[] Body)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = builder.Build();
        collector.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Writer.TryWrite((context.Request.Path, context.Request.ContentType, body.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync();
        var collectorUrl = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        await using (var gateway = await GatewayHost.StartAsync($$"""
            server: { auth: none }
            providers: { demo: { type: mock } }
            endpoints: { chat: { targets: [ { provider: demo, model: mock-chat } ] } }
            tracking: { otlp: "{{collectorUrl}}" }
            """))
        {
            using var response = await gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));
            response.EnsureSuccessStatusCode();
            var trace = await gateway.SingleTraceAsync();

            var traceId = Convert.FromHexString(trace.TraceId);
            using var bound = new CancellationTokenSource(GatewayHost.Bound);
            (string Path, string? ContentType, byte[] Body) export;
            do
            {
                export = await received.Reader.ReadAsync(bound.Token);
            }
            while (export.Body.AsSpan().IndexOf(traceId) < 0);

            var (path, contentType, body) = export;
            Assert.Equal(("/v1/traces", "application/x-protobuf"), (path, contentType));
            var text = Encoding.UTF8.GetString(body);
            Assert.Contains("chat mock-chat", text, StringComparison.Ordinal);
            Assert.Contains("gen_ai.request.model", text, StringComparison.Ordinal);
            Assert.Contains("ai-gateway", text, StringComparison.Ordinal);
        }

        await collector.StopAsync();
    }
}
