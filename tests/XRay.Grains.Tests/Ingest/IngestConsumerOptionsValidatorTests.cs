using XRay.Grains.Options;

namespace XRay.Grains.Tests.Ingest;

public sealed class IngestConsumerOptionsValidatorTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.True(new IngestConsumerOptionsValidator().Validate(null, new IngestConsumerOptions()).Succeeded);
    }

    [Theory]
    [InlineData(nameof(IngestConsumerOptions.BatchLinger))]
    [InlineData(nameof(IngestConsumerOptions.BackgroundThreads))]
    [InlineData(nameof(IngestConsumerOptions.BackgroundNice))]
    public void An_out_of_range_setting_is_refused_by_name(string setting)
    {
        var options = new IngestConsumerOptions();
        switch (setting)
        {
            case nameof(IngestConsumerOptions.BatchLinger):
                options.BatchLinger = TimeSpan.FromSeconds(5);
                break;
            case nameof(IngestConsumerOptions.BackgroundThreads):
                options.BackgroundThreads = 0;
                break;
            default:
                options.BackgroundNice = -5;
                break;
        }

        var result = new IngestConsumerOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains($"Ingest:Consumer:{setting}", result.FailureMessage, StringComparison.Ordinal);
    }
}
