using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using XRay.Grains.Hosting;
using XRay.Grains.Ingest;
using XRay.Grains.Ingest.Embedded;
using XRay.Grains.Options;

namespace XRay.Grains.Tests.Ingest;

public sealed class EmbeddedIngestLogHostingTests
{
    [Fact]
    public async Task The_log_is_registered_once_and_bound_to_Ingest_Log()
    {
        using var directory = new TempDirectory();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ingest:Log:Directory"] = directory.Path,
            ["Ingest:Log:Partitions"] = "3",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();

        services.AddXRayEmbeddedIngestLog().AddXRayEmbeddedIngestLog();

        await using var provider = services.BuildServiceProvider();
        var log = provider.GetRequiredService<IIngestLog>();
        Assert.IsType<EmbeddedIngestLog>(log);
        Assert.Same(log, provider.GetRequiredService<IIngestLog>());
        Assert.Equal(3, log.PartitionCount);
        Assert.Single(services, d => d.ServiceType == typeof(IIngestLog));
        Assert.True(Directory.Exists(Path.Combine(directory.Path, "partition-2")));
    }

    [Fact]
    public void The_host_can_place_the_log()
    {
        var services = new ServiceCollection().AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());

        services.AddXRayEmbeddedIngestLog(o => o.Directory = "/data/ingest-log");

        using var provider = services.BuildServiceProvider();
        Assert.Equal("/data/ingest-log", provider.GetRequiredService<IOptions<EmbeddedIngestLogOptions>>().Value.Directory);
    }

    [Fact]
    public void The_validator_names_every_bad_option()
    {
        var options = new EmbeddedIngestLogOptions { Directory = " ", Topic = "", Partitions = 0, SegmentBytes = 10, MaxRecordBytes = 0 };

        var result = new EmbeddedIngestLogOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        foreach (var name in new[] { "Directory", "Topic", "Partitions", "SegmentBytes", "MaxRecordBytes" })
        {
            Assert.Contains(result.Failures!, f => f.StartsWith(name, StringComparison.Ordinal));
        }

        Assert.True(new EmbeddedIngestLogOptionsValidator().Validate(null, new EmbeddedIngestLogOptions()).Succeeded);
    }
}
