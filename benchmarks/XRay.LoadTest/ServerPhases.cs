using System.Globalization;

namespace XRay.LoadTest;

/// <summary>
/// The gateway's <c>Server-Timing</c> of each ACK: <c>app</c> (its whole time) and the ingest phases it names
/// (<c>admit</c>, <c>read</c>, <c>check</c>, <c>log</c>), so the slowest requests can be told apart by where they waited.
/// </summary>
internal sealed class ServerPhases
{
    private readonly List<IReadOnlyDictionary<string, double>> _samples = [];
    private readonly Lock _lock = new();

    public void Add(IReadOnlyDictionary<string, double> timing)
    {
        lock (_lock)
        {
            _samples.Add(timing);
        }
    }

    /// <summary>
    /// For the requests at or above the p-th percentile of <c>app</c>: the mean of each phase, and what no phase
    /// covers (the pipeline around the endpoint, and waits for a thread). Empty without phases.
    /// </summary>
    public IReadOnlyList<(string Phase, double MeanMs)> TailBreakdown(double p)
    {
        IReadOnlyDictionary<string, double>[] samples;
        lock (_lock)
        {
            samples = [.. _samples.OrderBy(s => s["app"])];
        }

        if (samples.Length == 0)
        {
            return [];
        }

        var tail = samples[Math.Clamp((int)Math.Ceiling(p / 100 * samples.Length) - 1, 0, samples.Length - 1)..];
        var names = tail.SelectMany(s => s.Keys).Where(k => k != "app").Distinct().ToList();
        var means = names.Select(n => (n, tail.Average(s => s.GetValueOrDefault(n)))).ToList();
        means.Add(("other", tail.Average(s => s["app"] - names.Sum(n => s.GetValueOrDefault(n)))));
        means.Insert(0, ("app", tail.Average(s => s["app"])));
        return means;
    }

    /// <summary>Reads <c>Server-Timing: app;dur=1.234, log;dur=0.5</c> (milliseconds); null without an <c>app</c> entry.</summary>
    public static IReadOnlyDictionary<string, double>? Parse(string? header)
    {
        if (header is null)
        {
            return null;
        }

        var timing = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var metric in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = metric.Split(';', StringSplitOptions.TrimEntries);
            var duration = parts.Skip(1).FirstOrDefault(p => p.StartsWith("dur=", StringComparison.Ordinal));
            if (duration is not null && double.TryParse(duration.AsSpan(4), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
            {
                timing[parts[0]] = ms;
            }
        }

        return timing.ContainsKey("app") ? timing : null;
    }
}
