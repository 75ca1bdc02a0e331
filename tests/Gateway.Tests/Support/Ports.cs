using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Support;

internal static class Ports
{
    /// <summary>A port on 127.0.0.1 that was free a moment ago, for servers that take a port number rather than 0.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
