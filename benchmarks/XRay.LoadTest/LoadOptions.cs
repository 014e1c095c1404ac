using System.Globalization;

namespace XRay.LoadTest;

/// <summary>Command-line settings of a run; <see cref="Parse"/> documents every flag in <see cref="Usage"/>.</summary>
internal sealed record LoadOptions
{
    public const string Usage = """
        XRay.LoadTest [--scenario ingest|query] [--spawn | --url http://host:port --db path/xray.db]
                      [--clients 32] [--batch 50] [--duration 20s] [--warmup 30s] [--rate EVENTS_PER_S]
                      [--sample 0.01] [--baseline-events 1000000] [--no-baseline]
                      [--steps 1000000] [--requests 200] [--markdown] [--set Section:Key=value ...]
                      [--workstation-gc] [--no-realtime]

          --scenario ingest   many clients POST batches; events/s, ACK latency, time-to-queryable, raw-store ceiling
          --scenario query    seed a project (1,000-step trace + --steps steps), then GET latencies
          --spawn             start the Release gateway on free ports with a temp data dir (default)
          --url / --db        drive a running gateway; --db (its SQLite file, read-only) enables end-to-end counts
          --set               a setting for the spawned gateway (repeatable), e.g. --set Ingest:Consumer:MaxBatchSize=5000
          --warmup            sent but not measured: the gateway's tiered JIT runs for 20–30 s of load (half a core at its peak)
          --workstation-gc    spawn the gateway with workstation GC instead of its shipped server GC
          --rate              open-loop pacing in events/s over all clients (latency from the scheduled send time)
          --no-realtime       keep the clients' sending and reading threads at normal priority (default: SCHED_FIFO 1,
                              as if they ran on their own machines; needs root or CAP_SYS_NICE)
        """;

    public string Scenario { get; init; } = "ingest";

    public Uri? Url { get; init; }

    public string? DatabasePath { get; init; }

    public int Clients { get; init; } = 32;

    public int Batch { get; init; } = 50;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(30);

    public double? Rate { get; init; }

    /// <summary>Warm-up plus the measured window: how long the clients send.</summary>
    public TimeSpan Load => Warmup + Duration;

    public double Sample { get; init; } = 0.01;

    public long BaselineEvents { get; init; } = 1_000_000;

    public bool Baseline { get; init; } = true;

    public long SeedSteps { get; init; } = 1_000_000;

    public int Requests { get; init; } = 200;

    public bool Markdown { get; init; }

    /// <summary>Spawn the gateway with server GC, its shipped default (<c>--workstation-gc</c> turns it off).</summary>
    public bool ServerGc { get; init; } = true;

    /// <summary>The clients' sending and reading threads under SCHED_FIFO (<c>--no-realtime</c> turns it off).</summary>
    public bool RealtimeClients { get; init; } = true;

    /// <summary>Settings handed to a spawned gateway (<c>--set</c>), to try a configuration without editing it.</summary>
    public IReadOnlyDictionary<string, string> ServerSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>The command line as typed, for the report.</summary>
    public string CommandLine { get; init; } = string.Empty;

    public static LoadOptions Parse(string[] args)
    {
        var o = new LoadOptions { CommandLine = string.Join(' ', args) };
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            o = args[i] switch
            {
                "--scenario" => o with { Scenario = Value() is ("ingest" or "query") and var scenario ? scenario : throw new ArgumentException("--scenario is ingest or query.") },
                "--spawn" => o with { Url = null },
                "--url" => o with { Url = new Uri(Value()) },
                "--db" => o with { DatabasePath = Value() },
                "--clients" => o with { Clients = Positive(Value(), "--clients") },
                "--batch" => o with { Batch = Positive(Value(), "--batch") },
                "--duration" => o with { Duration = Time(Value()) },
                "--warmup" => o with { Warmup = Time(Value()) },
                "--rate" => o with { Rate = Positive(Value(), "--rate") },
                "--sample" => o with { Sample = double.Parse(Value(), CultureInfo.InvariantCulture) },
                "--baseline-events" => o with { BaselineEvents = Positive(Value(), "--baseline-events") },
                "--no-baseline" => o with { Baseline = false },
                "--steps" => o with { SeedSteps = Positive(Value(), "--steps") },
                "--requests" => o with { Requests = Positive(Value(), "--requests") },
                "--markdown" => o with { Markdown = true },
                "--workstation-gc" => o with { ServerGc = false },
                "--no-realtime" => o with { RealtimeClients = false },
                "--set" => o with { ServerSettings = Setting(o.ServerSettings, Value()) },
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'."),
            };
        }

        return o;
    }

    private static Dictionary<string, string> Setting(IReadOnlyDictionary<string, string> settings, string value)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        return equals > 0
            ? new Dictionary<string, string>(settings) { [value[..equals]] = value[(equals + 1)..] }
            : throw new ArgumentException($"--set takes Section:Key=value, not '{value}'.");
    }

    private static int Positive(string value, string name) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{name} must be a positive integer.");

    /// <summary>"20s", "2m", "500ms" or plain seconds.</summary>
    private static TimeSpan Time(string value)
    {
        var (number, scale) = value switch
        {
            _ when value.EndsWith("ms", StringComparison.Ordinal) => (value[..^2], 0.001),
            _ when value.EndsWith('s') => (value[..^1], 1.0),
            _ when value.EndsWith('m') => (value[..^1], 60.0),
            _ => (value, 1.0),
        };
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? TimeSpan.FromSeconds(n * scale)
            : throw new ArgumentException($"'{value}' is not a duration (20s, 2m, 500ms).");
    }
}
