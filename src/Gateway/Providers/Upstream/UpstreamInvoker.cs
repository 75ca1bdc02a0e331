using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Providers.Upstream;

/// <summary>
/// The one pooled connection handler for upstream HTTP calls, shared by every provider and every config
/// revision so reloads keep warm connections. YARP takes an <see cref="HttpMessageInvoker"/>, not an
/// HttpClient, which would buffer responses. Each call's <see cref="UpstreamAttempt"/> sets its connect,
/// first-byte and idle timeouts, on the gateway's <see cref="TimeProvider"/>.
/// </summary>
internal sealed class UpstreamInvoker : IDisposable
{
    private readonly BodyWatch _watch;

    public UpstreamInvoker(TimeProvider time)
    {
        _watch = new BodyWatch(time);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            // We read upstream responses (errors now; usage and guardrails later), so they come uncompressed.
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectCallback = (context, cancellationToken) => ConnectAsync(context, time, cancellationToken),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            // Deliberate: no traceparent to third-party providers (it would leak our trace ids and cost CPU
            // on every call); the gateway's own trace records each attempt instead.
            ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
        };
        Invoker = new TimedInvoker(handler, time, _watch);
    }

    public HttpMessageInvoker Invoker { get; }

    public void Dispose()
    {
        Invoker.Dispose();
        _watch.Dispose();
    }

    /// <summary>Opens the TCP connection within the attempt's connect timeout (SocketsHttpHandler has only one, for every call).</summary>
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, TimeProvider time, CancellationToken cancellationToken)
    {
        var limit = context.InitialRequestMessage.Options.TryGetValue(UpstreamAttempt.OptionKey, out var attempt)
            ? attempt.Timeouts.Connect
            : AttemptTimeouts.DefaultConnect;
        using var timeout = new AttemptTimer(limit, time, cancellationToken);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, timeout.Token);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new UpstreamTimeoutException("connection", limit, ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Bounds the wait for the response headers, and hands the body out through a <see cref="WatchedBodyStream"/>.</summary>
    private sealed class TimedInvoker(HttpMessageHandler handler, TimeProvider time, BodyWatch watch) : HttpMessageInvoker(handler, disposeHandler: true)
    {
        public override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (!request.Options.TryGetValue(UpstreamAttempt.OptionKey, out var attempt))
            {
                return await base.SendAsync(request, cancellationToken);
            }

            using var firstByte = new AttemptTimer(attempt.Timeouts.FirstByte, time, cancellationToken);
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, firstByte.Token);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new UpstreamTimeoutException("response", attempt.Timeouts.FirstByte, ex);
            }

            response.Content = new WatchedBodyContent(response.Content, attempt, watch);
            return response;
        }
    }
}
