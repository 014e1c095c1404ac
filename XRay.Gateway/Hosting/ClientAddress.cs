using System.Net;
using System.Net.Sockets;

namespace XRay.Gateway.Hosting;

/// <summary>The rate limiters' key for a client's address.</summary>
public static class ClientAddress
{
    /// <summary>
    /// An IPv4 address as is; an IPv6 address by its /64 prefix, since one subscriber is usually handed a whole /64 and
    /// would otherwise get a fresh bucket per address. IPv4-mapped IPv6 (a dual-stack socket) counts as its IPv4 address.
    /// </summary>
    public static string PartitionKey(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
