using System.Globalization;
using System.Text;

namespace XRay.Testing;

/// <summary>
/// The samples of a Prometheus text exposition (<c>name{label="value",...} value</c> lines; comments skipped), parsed
/// just enough for tests and the load tool to read counters, gauges and histogram counts.
/// </summary>
public sealed class PrometheusText
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    /// <summary>Reads <paramref name="path"/> (the gateway's <c>/metrics</c> by default); throws unless it answers 200.</summary>
    public static async Task<PrometheusText> ScrapeAsync(HttpClient client, string path = "metrics", CancellationToken cancellationToken = default)
    {
        using var response = await client.GetAsync(path, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != System.Net.HttpStatusCode.OK)
        {
            throw new HttpRequestException($"GET {path} answered {(int)response.StatusCode}, not 200.", null, response.StatusCode);
        }

        return new PrometheusText(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    public PrometheusText(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.Length > 0 && line[0] != '#')
            {
                _samples.Add(ParseSample(line.TrimEnd('\r')));
            }
        }
    }

    /// <summary>The sum of the samples named <paramref name="name"/> that carry all <paramref name="labels"/> (0 when none: a series appears once first recorded).</summary>
    public double Value(string name, params (string Name, string Value)[] labels) =>
        Matching(name, labels).Sum(s => s.Value);

    /// <summary>Whether any sample is named <paramref name="name"/> and carries all <paramref name="labels"/>.</summary>
    public bool Has(string name, params (string Name, string Value)[] labels) =>
        Matching(name, labels).Any();

    private IEnumerable<(string Name, Dictionary<string, string> Labels, double Value)> Matching(string name, (string Name, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value));

    /// <summary>Every label value of every sample, to check what the exposition could leak.</summary>
    public IEnumerable<string> LabelValues => _samples.SelectMany(s => s.Labels.Values);

    private static (string, Dictionary<string, string>, double) ParseSample(string line)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = line.IndexOfAny(['{', ' ']);
        var name = line[..i];
        if (line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var equals = line.IndexOf('=', i);
                var label = line[i..equals].Trim(',', ' ');
                var value = new StringBuilder();
                for (i = equals + 2; line[i] != '"'; i++)
                {
                    // Escapes of the format: \\, \" and \n.
                    value.Append(line[i] == '\\' ? (line[++i] == 'n' ? '\n' : line[i]) : line[i]);
                }

                labels[label] = value.ToString();
                i++;
                if (line[i] == ',')
                {
                    i++;
                }
            }

            i++;
        }

        var number = line[i..].Trim().Split(' ')[0]; // an optional timestamp follows
        var parsed = number switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            _ => double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return (name, labels, parsed);
    }
}
