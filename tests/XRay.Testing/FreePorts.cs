using System.Net;
using System.Net.Sockets;

namespace XRay.Testing;

/// <summary>Finds loopback ports nobody listens on, so parallel test processes don't collide.</summary>
public static class FreePorts
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
