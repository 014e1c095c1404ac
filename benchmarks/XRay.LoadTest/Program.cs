using XRay.LoadTest;

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or UriFormatException)
{
    await Console.Error.WriteLineAsync($"{ex.Message}{Environment.NewLine}{LoadOptions.Usage}");
    return 2;
}

var machine = Report.Machine();
var report = options.Scenario == "query"
    ? Report.Query(await QueryScenario.RunAsync(options), machine)
    : Report.Ingest(await IngestScenario.RunAsync(options), machine);
Console.WriteLine(report);
return 0;
