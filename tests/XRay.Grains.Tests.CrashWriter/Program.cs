// Appends numbered records from many concurrent callers and prints each acknowledged batch as
// "ack:n1,n2,...;" once AppendAsync has returned. The crash test SIGKILLs this process mid-stream and
// checks that every acknowledged number survived. Usage: CrashWriter DIRECTORY FIRST_NUMBER
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using XRay.Grains.Ingest.Embedded;
using XRay.Grains.Options;

const int Appenders = 16;
const int RecordsPerAppend = 10;

var directory = args[0];
var next = long.Parse(args[1], CultureInfo.InvariantCulture) - 1;
var options = new EmbeddedIngestLogOptions { Directory = directory, Partitions = 2, SegmentBytes = 256 * 1024 };
var log = new EmbeddedIngestLog(Microsoft.Extensions.Options.Options.Create(options), NullLogger<EmbeddedIngestLog>.Instance, TimeProvider.System);
var output = Console.Out;

var appenders = Enumerable.Range(0, Appenders).Select(_ => Task.Run(async () =>
{
    while (true)
    {
        var numbers = new long[RecordsPerAppend];
        var records = new ReadOnlyMemory<byte>[RecordsPerAppend];
        for (var i = 0; i < numbers.Length; i++)
        {
            numbers[i] = Interlocked.Increment(ref next);
            records[i] = CrashRecord.Encode(numbers[i]);
        }

        await log.AppendAsync(records);
        output.WriteLine("ack:" + string.Join(',', numbers) + ";");
    }
}));

output.WriteLine("started");
await Task.WhenAll(appenders);

/// <summary>The record format shared with the crash test: the number, then padding to a realistic size.</summary>
internal static class CrashRecord
{
    public static byte[] Encode(long number)
        => Encoding.UTF8.GetBytes(number.ToString(CultureInfo.InvariantCulture) + ":" + new string('x', 300));
}
