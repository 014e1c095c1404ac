using System.Buffers;

namespace XRay.Grains.Ingest.Embedded;

/// <summary>
/// One <see cref="IIngestLog.AppendAsync"/> call waiting for its group commit. The caller frames and checksums
/// its records into a pooled buffer before queueing (spreading that work over the callers' cores), and from then
/// on the buffer belongs to the partition writer: a cancelled caller can neither tear nor reuse it.
/// </summary>
internal sealed class PendingAppend
{
    private const int Queued = 0;
    private const int Taken = 1;
    private const int Cancelled = 2;

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _buffer;
    private readonly int _length;
    private CancellationTokenRegistration _registration;
    private CancellationToken _cancellationToken;
    private int _state;

    private PendingAppend(byte[] buffer, int length, int recordCount)
    {
        _buffer = buffer;
        _length = length;
        RecordCount = recordCount;
    }

    /// <summary>Number of records in <see cref="Frames"/>.</summary>
    public int RecordCount { get; }

    /// <summary>The framed records, ready to write.</summary>
    public ReadOnlyMemory<byte> Frames => _buffer.AsMemory(0, _length);

    /// <summary>Completes when the records are durable, or they were not written (cancelled, failed).</summary>
    public Task Completion => _completion.Task;

    /// <summary>Frames <paramref name="records"/> into a pooled buffer.</summary>
    public static PendingAppend Frame(IReadOnlyList<ReadOnlyMemory<byte>> records, int maxRecordBytes)
    {
        long size = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var length = records[i].Length;
            if (length > maxRecordBytes)
            {
                throw new ArgumentException($"Record {i} has {length} bytes; the log takes at most {maxRecordBytes}.", nameof(records));
            }

            size += RecordFrame.SizeOf(length);
        }

        if (size > Array.MaxLength)
        {
            throw new ArgumentException($"The records add up to {size} bytes; one append takes at most {Array.MaxLength}.", nameof(records));
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)size);
        var written = 0;
        foreach (var record in records)
        {
            written += RecordFrame.Write(record.Span, buffer.AsSpan(written));
        }

        return new PendingAppend(buffer, written, records.Count);
    }

    /// <summary>Lets <paramref name="cancellationToken"/> withdraw the append while it is still queued.</summary>
    public void RegisterCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellationToken = cancellationToken;
            _registration = cancellationToken.UnsafeRegister(static state => ((PendingAppend)state!).Cancel(), this);
        }
    }

    /// <summary>
    /// Claims the append for writing. False when its caller cancelled first: then it is never written, so a
    /// caller that sees <see cref="OperationCanceledException"/> knows its records are not in the log.
    /// </summary>
    public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

    /// <summary>Reports the records durable.</summary>
    public void Complete()
    {
        _registration.Unregister();
        _completion.TrySetResult();
    }

    /// <summary>Reports that the records could not be made durable.</summary>
    public void Fail(Exception exception)
    {
        _registration.Unregister();
        _completion.TrySetException(exception);
    }

    /// <summary>Returns the buffer to the pool; only the partition writer calls this, once it is done with it.</summary>
    public void ReturnBuffer() => ArrayPool<byte>.Shared.Return(_buffer);

    private void Cancel()
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued)
        {
            _completion.TrySetCanceled(_cancellationToken);
        }
    }
}
