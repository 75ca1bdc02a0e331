using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FakeProviders.OpenAi;
using Gateway.Tests.Support;

namespace Gateway.Tests.Functional;

/// <summary>
/// The connect timeout, against a listener whose accept queue is full: the kernel drops further handshakes, so
/// a connect neither completes nor is refused, as with an upstream behind a black-holing firewall.
/// </summary>
public sealed class ConnectTimeoutTests
{
    [Fact]
    public async Task Connect_that_never_completes_is_abandoned_at_the_connect_timeout_and_the_fallback_answers()
    {
        using var blackhole = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        blackhole.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        blackhole.Listen(0);
        var port = ((IPEndPoint)blackhole.LocalEndPoint!).Port;
        // Fill the accept queue; nothing ever accepts.
        var fillers = new List<Socket>();
        for (var i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            fillers.Add(filler);
            _ = filler.ConnectAsync(IPAddress.Loopback, port).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        await using var backup = await FakeOpenAiServer.StartAsync();
        await using var gateway = await GatewayHost.StartAsync($$"""
            server: { listen: http://127.0.0.1:8080, auth: none }
            providers:
              dead: { type: openai_compatible, base_url: "http://127.0.0.1:{{port}}/v1" }
              backup: { type: openai, base_url: "{{backup.BaseUrl}}", api_key: {{backup.ApiKey}} }
            endpoints:
              chat:
                timeouts: { connect: 500ms, first_byte: 20s }
                targets: [ { provider: dead, model: m } ]
                fallbacks: [ { provider: backup, model: gpt-4o-mini } ]
            """);

        var clock = Stopwatch.StartNew();
        using var response = await gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("backup", "2"), (response.Headers.GetValues("x-gateway-provider").Single(), response.Headers.GetValues("x-gateway-attempts").Single()));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5));
        fillers.ForEach(f => f.Dispose());
    }
}
