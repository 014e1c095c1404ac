using System.Diagnostics;

namespace XRay.LoadTest;

/// <summary>What the clients saw: events ACKed (202) in total and inside the measured window, and ACK latencies.</summary>
internal sealed class IngestTally
{
    private long _ackedTotal;
    private long _ackedInWindow;
    private long _requests;
    private long _retried;
    private long _failed;
    private long _bytes;

    /// <summary>From when the batch was due (open loop) or sent (closed loop) to its ACK.</summary>
    public Latencies Ack { get; } = new();

    /// <summary>
    /// From when the request was written to the socket to its ACK: what an SDK on another machine waits. Without
    /// the tool's own send lateness, which on a machine shared with the gateway is part scheduling of the tool.
    /// </summary>
    public Latencies AckFromSend { get; } = new();

    /// <summary>The gateway's own time for each ACK in the window, from its <c>Server-Timing</c> header.</summary>
    public Latencies ServerAck { get; } = new();

    /// <summary>
    /// Open loop: how late each send the pacer wrote itself left after its due time (the tool's timer wake-up and
    /// scheduling). A due batch held back behind its client's unanswered one is the server's delay, not the tool's,
    /// and is not counted here; both are part of the client-observed ACK latency (no coordinated omission).
    /// </summary>
    public Latencies SendLateness { get; } = new();

    public long AckedTotal => Interlocked.Read(ref _ackedTotal);

    public long AckedInWindow => Interlocked.Read(ref _ackedInWindow);

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>429/503 answers, each retried after <c>Retry-After</c>.</summary>
    public long Retried => Interlocked.Read(ref _retried);

    public long Failed => Interlocked.Read(ref _failed);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The gateway's <c>Server-Timing</c> phases (milliseconds) of each ACK in the window.</summary>
    public ServerPhases Phases { get; } = new();

    public void Acked(PreparedBatch batch, bool inWindow, long latencyTicks, long fromSendTicks, IReadOnlyDictionary<string, double>? timing)
    {
        Interlocked.Add(ref _ackedTotal, batch.Events);
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _bytes, batch.BodyBytes);
        if (inWindow)
        {
            Interlocked.Add(ref _ackedInWindow, batch.Events);
            Ack.Add(latencyTicks);
            AckFromSend.Add(fromSendTicks);
            if (timing is not null && timing.TryGetValue("app", out var app))
            {
                ServerAck.Add((long)(app * Stopwatch.Frequency / 1000));
                Phases.Add(timing);
            }
        }
    }

    public void Retry() => Interlocked.Increment(ref _retried);

    public void Fail() => Interlocked.Increment(ref _failed);
}

/// <summary>
/// The clients: each has one keep-alive connection and sends one batch at a time. Closed loop by default (next batch
/// right after the ACK, which finds the maximum rate); with a target rate, open loop: batches are due on a fixed
/// schedule and latency counts from when a batch was due, so a stalled server is not hidden by clients that waited
/// (coordinated omission). A due batch is written by the pacer's thread at once, or, if the client's previous batch
/// is still waiting for its ACK, by the client's thread right after that ACK. Each client's thread only reads answers.
/// </summary>
internal sealed class IngestDriver(Uri baseAddress, BatchSupply supply, LoadOptions options, QueryabilityProbe? probe)
{
    public IngestTally Tally { get; } = new();

    private BatchSupply Supply => supply;

    private QueryabilityProbe? Probe => probe;

    private LoadOptions Options => options;

    private bool OpenLoop => options.Rate is not null;

    /// <summary>Runs warm-up plus the measured window; returns when every client has stopped.</summary>
    public async Task RunAsync(long startTicks)
    {
        var windowStart = startTicks + Ticks(options.Warmup);
        var end = windowStart + Ticks(options.Duration);
        var clients = Enumerable.Range(0, options.Clients).Select(c => new Client(this, c, baseAddress, windowStart, end)).ToArray();
        var threads = clients.Select(c => new Thread(c.Run) { IsBackground = true, Name = "load-client" }).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        if (options.Rate is { } rate)
        {
            // Spread the clients' schedules over one interval so they do not fire in lockstep.
            var interval = Ticks(TimeSpan.FromSeconds(options.Batch * options.Clients / rate));
            using var pacer = new Pacer(clients.Select((c, i) => (startTicks + (interval * i / options.Clients), interval, end, (Action<long>)c.Due)), () => ClientPriority.Raise(options));
            await pacer.Finished;
        }
        else
        {
            foreach (var client in clients)
            {
                client.Due(Stopwatch.GetTimestamp());
            }
        }

        await Task.Run(() =>
        {
            foreach (var thread in threads)
            {
                thread.Join();
            }
        });
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>One client: its connection, the batch it waits on, and (open loop) the due times it fell behind on.</summary>
    private sealed class Client(IngestDriver driver, int index, Uri baseAddress, long windowStart, long end) : IDisposable
    {
        private const int MaxAttempts = 20;

        private readonly Queue<long> _overdue = new();
        private readonly Lock _lock = new();

        // Not SemaphoreSlim: it spins before blocking, and a SCHED_FIFO thread spinning holds a core from the gateway.
        private readonly AutoResetEvent _sent = new(false);
        private IngestConnection _connection = new(baseAddress);
        private bool _busy;
        private bool _done;
        private InFlight _current = null!;

        /// <summary>A batch is due: written now if the connection is free, else right after the answer it waits for.</summary>
        public void Due(long due)
        {
            lock (_lock)
            {
                if (_done)
                {
                    return;
                }

                if (_busy)
                {
                    _overdue.Enqueue(due);
                    return;
                }

                _busy = true;
            }

            // The pacer's own send: how late it left is the tool's timer and scheduling delay.
            var batch = driver.Supply.Take(index);
            if (driver.OpenLoop && due >= windowStart)
            {
                driver.Tally.SendLateness.Add(Stopwatch.GetTimestamp() - due);
            }

            try
            {
                Write(new InFlight(batch, due, Stopwatch.GetTimestamp()));
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                // Its thread may have stopped on the same broken connection: this client sends no more.
                driver.Tally.Fail();
                Console.Error.WriteLine($"client {index} could not send: {ex.Message}");
                lock (_lock)
                {
                    (_done, _busy) = (true, false);
                }
            }
        }

        /// <summary>The client's thread: reads each answer, ACKs or retries it, then writes what is due next.</summary>
        public void Run()
        {
            ClientPriority.Raise(driver.Options);
            try
            {
                Loop();
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidDataException or FormatException)
            {
                // A broken connection ends this client, counted and said, not the whole run.
                driver.Tally.Fail();
                Console.Error.WriteLine($"client {index} stopped: {ex.Message}");
                lock (_lock)
                {
                    _done = true;
                }
            }
        }

        public void Dispose()
        {
            _connection.Dispose();
            _sent.Dispose();
        }

        private void Loop()
        {
            while (true)
            {
                if (!_sent.WaitOne(Math.Max(0, (int)((end - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency)) + 100))
                {
                    lock (_lock)
                    {
                        // Nothing in flight and the run is over: stop (a due time the pacer fires late is dropped).
                        if (!_busy && Stopwatch.GetTimestamp() >= end)
                        {
                            _done = true;
                            return;
                        }
                    }

                    continue;
                }

                var current = _current;
                var answer = _connection.Receive();
                var acked = Stopwatch.GetTimestamp();
                if (answer.Close)
                {
                    _connection.Dispose();
                    _connection = new IngestConnection(baseAddress);
                }

                if (answer.Status == 202)
                {
                    driver.Tally.Acked(current.Batch, current.Due >= windowStart, acked - current.Due, acked - current.Written, ServerPhases.Parse(answer.ServerTiming));
                    driver.Probe?.Watch(current.Batch.Completed, acked);
                }
                else if (answer.Status is 429 or 503 && current.Attempts < MaxAttempts)
                {
                    // As the SDK does; the latency still counts from the due (or first write) time.
                    driver.Tally.Retry();
                    Thread.Sleep(answer.RetryAfter ?? TimeSpan.FromMilliseconds(100));
                    Write(current with { Attempts = current.Attempts + 1 });
                    continue;
                }
                else
                {
                    driver.Tally.Fail();
                    Console.Error.WriteLine($"ingest answered {answer.Status}: {answer.Body}");
                }

                long next;
                lock (_lock)
                {
                    if (_overdue.TryDequeue(out next))
                    {
                        // Open loop, behind schedule: the next batch's latency still counts from its due time.
                    }
                    else if (!driver.OpenLoop && acked < end)
                    {
                        // Closed loop: the next batch leaves now; its latency counts from when it is written.
                        next = -1;
                    }
                    else
                    {
                        _busy = false;
                        continue;
                    }
                }

                var batch = driver.Supply.Take(index);
                var now = Stopwatch.GetTimestamp();
                Write(new InFlight(batch, next < 0 ? now : next, now));
            }
        }

        private void Write(InFlight request)
        {
            _current = request;
            _connection.Send(request.Batch.Request);
            _sent.Set();
        }

        /// <summary>A request waiting for its answer: due (latency counts from here), first written, attempts so far.</summary>
        private sealed record InFlight(PreparedBatch Batch, long Due, long Written, int Attempts = 1);
    }
}
