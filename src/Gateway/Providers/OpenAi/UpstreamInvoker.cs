using System.Diagnostics;
using System.Net;

namespace Gateway.Providers.OpenAi;

/// <summary>
/// The one pooled connection handler for upstream HTTP calls, shared by every provider and every config
/// revision so reloads keep warm connections. YARP takes an <see cref="HttpMessageInvoker"/>, not an
/// HttpClient, which would buffer responses.
/// </summary>
internal sealed class UpstreamInvoker : IDisposable
{
    public UpstreamInvoker()
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            // We read upstream responses (errors now; usage and guardrails later), so they come uncompressed.
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            // Deliberate: no traceparent to third-party providers (it would leak our trace ids and cost CPU
            // on every call); the gateway's own trace records each attempt instead.
            ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
        };
        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public HttpMessageInvoker Invoker { get; }

    public void Dispose() => Invoker.Dispose();
}
