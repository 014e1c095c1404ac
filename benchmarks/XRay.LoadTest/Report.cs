using System.Globalization;
using System.Text;

namespace XRay.LoadTest;

/// <summary>Prints a run's figures as compact text, or as a Markdown table for docs/benchmarks.md.</summary>
internal static class Report
{
    public static string Machine() =>
        $"{Environment.ProcessorCount} cores, load average before the run {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, .NET {Environment.Version}";

    public static string Ingest(IngestResult r, string machine)
    {
        var o = r.Options;
        var rows = new List<(string Metric, string Value, string Target)>
        {
            ("events/s ACKed (202)", $"{N(r.AckedPerSecond)} ({N(r.Tally.AckedInWindow)} events in {o.Duration.TotalSeconds:0} s, avg event {r.AverageEventBytes:0} B)", "—"),
            ("ACK latency p50 / p99 (client-observed" + (o.Rate is null ? ")" : ", from the due time)"), $"{Ms(r.Tally.Ack.Percentile(50))} / {Ms(r.Tally.Ack.Percentile(99))}", o.Rate is null ? "—" : "p99 ≤ 10 ms at half the max rate"),
            ("ACK latency p50 / p99 (gateway's own time, Server-Timing)", $"{Ms(r.Tally.ServerAck.Percentile(50))} / {Ms(r.Tally.ServerAck.Percentile(99))}", "—"),
            ("events/s sustained end to end (written to the store during the window)", Rate(r.WrittenPerSecondInWindow), "goal 100,000, floor 25,000"),
            ("events/s whole run (first send until the store holds every ACKed event)", Rate(r.EndToEndPerSecond)
                + (r.DrainAfterLoad is { } d ? $"; store complete {d.TotalSeconds:0.0} s after load stopped, max lag {N(r.MaxLag)} events" : string.Empty), "—"),
            ("time-to-queryable p50 / p99", $"{Ms(r.Queryable.Percentile(50))} / {Ms(r.Queryable.Percentile(99))} ({r.Queryable.Count} traces, {r.QueryableTimedOut} timed out)", "p99 ≤ 2 s"),
        };
        if (o.Rate is not null)
        {
            rows.Insert(2, ("ACK latency p50 / p99 (client-observed, from the send: without the tool's send lateness)",
                $"{Ms(r.Tally.AckFromSend.Percentile(50))} / {Ms(r.Tally.AckFromSend.Percentile(99))}", "—"));
            rows.Insert(4, ("open loop: send lateness p50 / p99 (the tool's own timer delay, inside the client-observed latency)",
                $"{Ms(r.Tally.SendLateness.Percentile(50))} / {Ms(r.Tally.SendLateness.Percentile(99))}", "—"));
        }

        if (r.Tally.Phases.TailBreakdown(99) is { Count: > 0 } tail)
        {
            rows.Insert(rows.FindIndex(row => row.Metric.StartsWith("ACK latency p50 / p99 (gateway", StringComparison.Ordinal)) + 1, ("gateway's own time in its slowest 1 %, mean by phase (Server-Timing)",
                string.Join(", ", tail.Select(t => $"{t.Phase} {Ms(t.MeanMs)}")), "—"));
        }

        if (r.Baseline is { } b)
        {
            rows.Add(("raw-store ceiling (same statements, in-process)", $"{N(b.EventsPerSecond)} events/s = {N(b.RowsPerSecond)} rows/s ({N(b.Events)} events)", "—"));
            rows.Add(("ratio sustained end to end / raw store", r.WrittenPerSecondInWindow is { } e ? (e / b.EventsPerSecond).ToString("0.00", CultureInfo.InvariantCulture) : "n/a", "goal ≥ 0.5"));
        }

        var load = o.Load;
        rows.Add(("CPU used during load", $"gateway {r.GatewayCpu.TotalSeconds:0.0} s ({r.GatewayCpu.TotalSeconds / load.TotalSeconds:0.00} cores), load tool {r.ToolCpu.TotalSeconds:0.0} s ({r.ToolCpu.TotalSeconds / load.TotalSeconds:0.00} cores)", "—"));
        if (r.Box.Describe() is { } box)
        {
            rows.Add(("the whole machine's CPU during load (/proc/stat: every process; stolen = given by the host to other guests)", box, "—"));
        }

        if (r.Disk is { Syncs.Count: > 0 } disk)
        {
            rows.Add(("the disk's own sync beside the gateway (probe: 4 KiB append + fsync every 20 ms) p50 / p99 / max",
                $"{Ms(disk.Syncs.Percentile(50))} / {Ms(disk.Syncs.Percentile(99))} / {Ms(disk.Syncs.Percentile(100))}; {disk.Stalls} of {N(disk.Syncs.Count)} over {disk.StallThreshold.TotalMilliseconds:0} ms", "—"));
        }

        if (r.GatewayDiskWrites is { } written)
        {
            rows.Add(("disk written by the gateway during load (ingest log + store + checkpoints)", $"{written / load.TotalSeconds / 1e6:0.0} MB/s, {written / (double)Math.Max(1, r.Tally.Bytes):0.0} bytes per event byte ACKed", "—"));
        }

        rows.Add(("requests / retried (429, 503) / failed", $"{N(r.Tally.Requests)} / {r.Tally.Retried} / {r.Tally.Failed}", "—"));
        if (r.Counters is { } c)
        {
            // The server's own count must agree with the tool's: every ACKed event accepted once, applied, its steps written.
            // Committed: the consumer's offsets cover them, so a crash now would redeliver none of them.
            var agrees = c.Accepted == r.Tally.AckedTotal && c.Rejected == 0 && c.Applied >= c.Accepted && c.Committed >= c.Accepted && c.Lag == 0;
            rows.Add(("the gateway's own metrics (GET /metrics): events accepted / rejected, 429s, applied by the consumer, offsets committed, step rows inserted, lag at the end",
                $"{N((long)c.Accepted)} / {N((long)c.Rejected)}, {N((long)c.Throttled)}, {N((long)c.Applied)}, {N((long)c.Committed)}, {N((long)c.StepRows)}, {N((long)c.Lag)}: {(agrees ? "agree with the tool's count" : $"DISAGREE with the tool's {N(r.Tally.AckedTotal)} ACKed")}",
                "accepted = ACKed = committed, lag 0"));
        }

        var title = $"ingest: {o.Clients} clients × {o.Batch} events/batch, {(o.Rate is { } rate ? $"open loop at {N(rate)} events/s" : "closed loop")}, {o.Warmup.TotalSeconds:0} s warm-up + {o.Duration.TotalSeconds:0} s{(o.Url is null ? $", gateway with {(o.ServerGc ? "server" : "workstation")} GC" : "")}, client threads {(ClientPriority.Granted ? "SCHED_FIFO" : "at normal priority")}";
        return Format(o, title, machine, rows);
    }

    public static string Query(QueryResult r, string machine)
    {
        var rows = new List<(string Metric, string Value, string Target)>
        {
            ("project size", $"{N(r.Steps)} steps in ~{N(r.Traces)} traces (seeded straight into SQLite in {r.SeedTime.TotalSeconds:0} s; the 1,000-step trace via the API)", "—"),
            ("GET trace with 1,000 steps p50 / p99", $"{Ms(r.Trace.Percentile(50))} / {Ms(r.Trace.Percentile(99))}", "p50 ≤ 20 ms"),
            ("GET first page of 50 traces p50 / p99", $"{Ms(r.FirstPage.Percentile(50))} / {Ms(r.FirstPage.Percentile(99))}", "p50 ≤ 20 ms"),
            ("GET next page of 50 by cursor p50 / p99", $"{Ms(r.CursorPages.Percentile(50))} / {Ms(r.CursorPages.Percentile(99))}", "p50 ≤ 20 ms"),
            ("POST query, 50 steps with kind = filter, p50 / p99 (ratio to the page of traces)", $"{Ms(r.StepsByKind.Percentile(50))} / {Ms(r.StepsByKind.Percentile(99))} ({r.StepsByKind.Percentile(50) / r.FirstPage.Percentile(50):0.0}×)", "—"),
            ("POST query, 50 steps with output.kept > 35, p50 / p99 (ratio to the page of traces)", $"{Ms(r.StepsByPath.Percentile(50))} / {Ms(r.StepsByPath.Percentile(99))} ({r.StepsByPath.Percentile(50) / r.FirstPage.Percentile(50):0.0}×)", "—"),
            ("GET project stats (exact totals, live figures) p50 / p99 (ratio to the page of traces)", $"{Ms(r.Stats.Percentile(50))} / {Ms(r.Stats.Percentile(99))} ({r.Stats.Percentile(50) / r.FirstPage.Percentile(50):0.0}×)", "—"),
        };
        return Format(r.Options, $"query: {r.Options.Requests} sequential requests each after 10 warm-up", machine, rows);
    }

    public static string Format(LoadOptions o, string title, string machine, IReadOnlyList<(string Metric, string Value, string Target)> rows)
    {
        var text = new StringBuilder();
        if (o.Markdown)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"`XRay.LoadTest {o.CommandLine}` — {title}; {machine}").AppendLine();
            text.AppendLine("| metric | result | target |").AppendLine("|---|---|---|");
            foreach (var (metric, value, target) in rows)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {metric} | {value} | {target} |");
            }

            return text.ToString();
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"{title}; {machine}");
        var width = rows.Max(r => r.Metric.Length);
        foreach (var (metric, value, _) in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {metric.PadRight(width)}  {value}");
        }

        return text.ToString();
    }

    public static string N(double value) => double.IsNaN(value) ? "n/a" : value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Ms(double value) => double.IsNaN(value) ? "n/a" : $"{value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture)} ms";

    private static string Rate(double? perSecond) => perSecond is { } v ? $"{N(v)} events/s" : "n/a (needs --spawn or --db)";
}
