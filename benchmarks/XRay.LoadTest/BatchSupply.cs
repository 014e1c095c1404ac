using System.Collections.Concurrent;

namespace XRay.LoadTest;

/// <summary>One ingest request ready to send: its bytes on the wire, and what it carries.</summary>
internal sealed record PreparedBatch(byte[] Request, int BodyBytes, int Events, IReadOnlyList<CompletedTrace> Completed);

/// <summary>
/// Each client's requests, made shortly before they are due by a generator thread that keeps every client a few
/// requests ahead, so making one is not ACK latency. Not further ahead: ids are UUIDv7, and requests made long before
/// they are sent would reach the store's indexes out of time order (32 clients' streams interleaved), which tripled
/// the store's bytes written per event in a trial; an SDK sends its events within about a second of making them.
/// </summary>
internal sealed class BatchSupply : IDisposable
{
    private const int Ahead = 4;

    private readonly BlockingCollection<PreparedBatch>[] _queues;
    private readonly Thread _generator;
    private volatile bool _stopped;

    public BatchSupply(Uri baseAddress, string projectId, string apiKey, LoadOptions options)
    {
        var sources = Enumerable.Range(0, options.Clients).Select(client => new PipelineEvents(projectId, seed: client)).ToArray();
        PreparedBatch Make(int client)
        {
            var batch = sources[client].Next(options.Batch);
            return new PreparedBatch(IngestConnection.Request(baseAddress, apiKey, batch.Body), batch.Body.Length, batch.Events, batch.Completed);
        }

        _queues = [.. sources.Select(_ => new BlockingCollection<PreparedBatch>(Ahead))];
        _generator = new Thread(() => Generate(Make)) { IsBackground = true, Name = "load-generator" };
        _generator.Start();
    }

    /// <summary>The client's next request; waits only if a closed-loop client has outrun the generator.</summary>
    public PreparedBatch Take(int client) => _queues[client].Take();

    public void Dispose()
    {
        _stopped = true;
        _generator.Join();
        foreach (var queue in _queues)
        {
            queue.Dispose();
        }
    }

    private void Generate(Func<int, PreparedBatch> make)
    {
        while (!_stopped)
        {
            var made = false;
            for (var client = 0; client < _queues.Length; client++)
            {
                // The only producer: a queue below its bound takes the next batch without blocking.
                if (_queues[client].Count < Ahead)
                {
                    _queues[client].Add(make(client));
                    made = true;
                }
            }

            if (!made)
            {
                Thread.Sleep(2);
            }
        }
    }
}
