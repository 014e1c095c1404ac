using System.Buffers;
using System.Net.Sockets;
using System.Text;

namespace XRay.LoadTest;

/// <summary>One answer of the gateway to an ingest request, as far as the tool needs it.</summary>
internal readonly record struct IngestAnswer(int Status, string? ServerTiming, TimeSpan? RetryAfter, bool Close, string Body);

/// <summary>
/// One keep-alive HTTP/1.1 connection to the gateway, written and read with plain blocking socket calls. A load
/// generator that shares two cores with the server must cost as little as it can and add no hops of its own: a
/// request leaves from the thread that decided to send it (no thread-pool dispatch, no per-request allocation
/// beyond the answer's strings), and its answer is read by the connection's own thread, which the kernel wakes
/// when the bytes arrive. <see cref="HttpClient"/> costs 2–3 ms at p99 on a busy box in its async hops alone.
/// </summary>
internal sealed class IngestConnection : IDisposable
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();

    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    public IngestConnection(Uri baseAddress)
    {
        if (baseAddress.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException($"The load tool speaks plain HTTP; '{baseAddress}' is not an http:// address.");
        }

        // Dual-mode: the host name may resolve to IPv4 or IPv6.
        _socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, SendBufferSize = 1 << 20 };
        _socket.Connect(baseAddress.Host, baseAddress.Port);
    }

    /// <summary>The whole request (line, headers, body) of an ingest POST, built once before it is due.</summary>
    public static byte[] Request(Uri baseAddress, string apiKey, byte[] body)
    {
        var head = Encoding.ASCII.GetBytes(
            $"POST {baseAddress.AbsolutePath.TrimEnd('/')}/api/v1/ingest HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nx-api-key: {apiKey}\r\n" +
            $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
        return [.. head, .. body];
    }

    /// <summary>Writes a request; blocks only while the kernel's send buffer is full.</summary>
    public void Send(byte[] request)
    {
        var sent = 0;
        while (sent < request.Length)
        {
            sent += _socket.Send(request, sent, request.Length - sent, SocketFlags.None);
        }
    }

    /// <summary>Reads one whole answer (Content-Length or chunked body); blocks until it has arrived.</summary>
    public IngestAnswer Receive()
    {
        int headerLength;
        while ((headerLength = _buffer.AsSpan(_start, _end - _start).IndexOf(HeaderEnd)) < 0)
        {
            Fill();
        }

        var head = Encoding.ASCII.GetString(_buffer, _start, headerLength);
        _start += headerLength + HeaderEnd.Length;
        var lines = head.Split("\r\n");
        var status = int.Parse(lines[0].AsSpan(9, 3), provider: null);
        string? timing = null;
        TimeSpan? retryAfter = null;
        var contentLength = 0;
        var chunked = false;
        var close = false;
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            var name = line.AsSpan(0, colon).Trim();
            var value = line.AsSpan(colon + 1).Trim();
            if (name.Equals("content-length", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = int.Parse(value, provider: null);
            }
            else if (name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("server-timing", StringComparison.OrdinalIgnoreCase))
            {
                timing = timing is null ? value.ToString() : $"{timing}, {value}";
            }
            else if (name.Equals("retry-after", StringComparison.OrdinalIgnoreCase) && int.TryParse(value, out var seconds))
            {
                retryAfter = TimeSpan.FromSeconds(seconds);
            }
            else if (name.Equals("connection", StringComparison.OrdinalIgnoreCase))
            {
                close = value.Contains("close", StringComparison.OrdinalIgnoreCase);
            }
        }

        var body = chunked ? ReadChunked() : ReadBytes(contentLength);
        return new IngestAnswer(status, timing, retryAfter, close, body);
    }

    public void Dispose() => _socket.Dispose();

    private string ReadChunked()
    {
        var body = new StringBuilder();
        while (true)
        {
            var size = Convert.ToInt32(ReadLine().Split(';')[0], 16);
            if (size == 0)
            {
                while (ReadLine().Length > 0)
                {
                    // Trailers, if any, end with an empty line.
                }

                return body.ToString();
            }

            body.Append(ReadBytes(size));
            _ = ReadLine();
        }
    }

    private string ReadLine()
    {
        int length;
        while ((length = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
        {
            Fill();
        }

        var line = Encoding.ASCII.GetString(_buffer, _start, length);
        _start += length + 2;
        return line;
    }

    private string ReadBytes(int count)
    {
        var bytes = new ArrayBufferWriter<byte>(Math.Max(1, count));
        while (count > 0)
        {
            if (_start == _end)
            {
                Fill();
            }

            var take = Math.Min(count, _end - _start);
            bytes.Write(_buffer.AsSpan(_start, take));
            _start += take;
            count -= take;
        }

        return Encoding.UTF8.GetString(bytes.WrittenSpan);
    }

    // Moves what is unread to the front and reads more; the buffer holds any answer head the gateway sends.
    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            (_end, _start) = (_end - _start, 0);
        }

        if (_end == _buffer.Length)
        {
            throw new InvalidDataException("An answer's head is larger than the read buffer.");
        }

        var read = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
        _end += read > 0 ? read : throw new IOException("The gateway closed the connection.");
    }
}
