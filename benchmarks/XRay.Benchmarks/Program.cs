// Throughput of the embedded ingest log against the same-run baseline of raw sequential writes with one
// fsync per batch. Usage: dotnet run -c Release --project benchmarks/XRay.Benchmarks -- [seconds-per-case] [directory]
// With "records" first, the BenchmarkDotNet run of the ingest records' CPU per event (IngestRecordBenchmarks);
// the arguments after it go to BenchmarkDotNet. With "read" first, the BenchmarkDotNet run of the server's side of
// GET /api/v1/traces/:traceId for a 1,000-step trace (TraceReadBenchmarks).
using System.Globalization;
using BenchmarkDotNet.Running;
using XRay.Benchmarks;

if (args.Length > 0 && args[0] == "records")
{
    BenchmarkRunner.Run<IngestRecordBenchmarks>(args: args[1..]);
    return;
}

if (args.Length > 0 && args[0] == "read")
{
    BenchmarkRunner.Run<TraceReadBenchmarks>(args: args[1..]);
    return;
}

var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var root = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "xray-bench-" + Guid.NewGuid().ToString("N"));
var duration = TimeSpan.FromSeconds(seconds);

Console.WriteLine($"Embedded ingest log: {IngestLogThroughput.RecordsPerCall} records of {IngestLogThroughput.RecordBytes} bytes per call, {seconds} s per case, {Environment.ProcessorCount} cores, directory {root}");
try
{
    var baseline = IngestLogThroughput.RawFileBaseline(Path.Combine(root, "baseline"), duration);
    var rows = new List<(string Case, double RecordsPerSecond)> { ("raw FileStream write + fsync per batch (baseline)", baseline) };
    foreach (var callers in new[] { 1, 16, 64 })
    {
        var rate = await IngestLogThroughput.EmbeddedLogAsync(Path.Combine(root, $"log-{callers}"), callers, duration);
        rows.Add(($"EmbeddedIngestLog, {callers} concurrent caller{(callers == 1 ? "" : "s")}", rate));
    }

    foreach (var commitEvery in new[] { 1, 10, int.MaxValue })
    {
        var consumed = await IngestLogThroughput.ConsumeAsync(Path.Combine(root, "log-64"), $"every-{commitEvery}", commitEvery, duration);
        var commits = commitEvery == int.MaxValue ? "no commit" : commitEvery == 1 ? "commit every poll" : $"commit every {commitEvery} polls";
        rows.Add(($"EmbeddedIngestLog consumer, poll 1000, {commits}", consumed));
    }

    Console.WriteLine();
    Console.WriteLine("| case | records/s | MB/s | vs baseline |");
    Console.WriteLine("|---|---:|---:|---:|");
    foreach (var (name, rate) in rows)
    {
        var megabytes = rate * IngestLogThroughput.RecordBytes / 1e6;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {rate:N0} | {megabytes:N1} | {rate / baseline:N2}x |"));
    }
}
finally
{
    Directory.Delete(root, recursive: true);
}
