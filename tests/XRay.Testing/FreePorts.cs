using System.Net;
using System.Net.Sockets;

namespace XRay.Testing;

/// <summary>Finds loopback ports nobody listens on, so parallel test processes don't collide.</summary>
/// <remarks>
/// A port is free when chosen and bound later, by a child process or a server started after. The test assemblies run side
/// by side, and the OS may offer the same free port to each of them meanwhile: then two gateways shared an HTTP port (the
/// health check of one answered for the other) or a server meant to be unreachable answered. So each port handed out is
/// also reserved, for this process's life, by a lock on a file named after it that every test process takes first.
/// </remarks>
public static class FreePorts
{
    // One file per port, locked by the process that holds it.
    private static readonly string ReservationDirectory = Path.Combine(Path.GetTempPath(), $"xray-test-ports-{Environment.UserName}");

    // The open locks: the kernel drops them when this process ends, however it ends.
    private static readonly Dictionary<int, FileStream> Reserved = [];

    /// <summary>A free port not handed out before by this process, nor held by another test process.</summary>
    public static int Next()
    {
        lock (Reserved)
        {
            Directory.CreateDirectory(ReservationDirectory);
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (!Reserved.ContainsKey(port) && TryReserve(port) is { } reservation)
                {
                    Reserved[port] = reservation;
                    return port;
                }
            }
        }
    }

    private static FileStream? TryReserve(int port)
    {
        try
        {
            // FileShare.None is an exclusive flock on Unix: a second holder, in any process, is refused.
            return new FileStream(Path.Combine(ReservationDirectory, $"{port}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null; // another test process holds it
        }
    }
}
