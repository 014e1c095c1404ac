using System.Net;
using System.Net.Sockets;

namespace XRay.Testing;

/// <summary>Finds loopback ports nobody listens on, so parallel test processes don't collide.</summary>
public static class FreePorts
{
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>A free port not handed out before by this process (the OS may offer a just-released port again).</summary>
    public static int Next()
    {
        lock (HandedOut)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
