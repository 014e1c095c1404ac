using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using XRay.Grains.Hosting;
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

    [Theory]
    [InlineData("xray consumers")]
    [InlineData("xray/consumers")]
    [InlineData("../consumers")]
    [InlineData("consumers\\a")]
    [InlineData(".hidden")]
    [InlineData("groupé")]
    [InlineData("a:b")]
    [InlineData(" ")]
    public void A_GroupId_that_cannot_name_a_file_or_a_Kafka_group_is_refused_with_the_rule(string groupId)
    {
        var result = new IngestConsumerOptionsValidator().Validate(null, new IngestConsumerOptions { GroupId = groupId });

        Assert.True(result.Failed);
        Assert.Contains("Ingest:Consumer:GroupId", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("letters, digits, '.', '_' or '-'", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("xray-consumers")]
    [InlineData("XRay_Consumers.v2")]
    [InlineData("a")]
    public void A_GroupId_of_letters_digits_dots_underscores_and_dashes_is_accepted(string groupId)
    {
        Assert.True(new IngestConsumerOptionsValidator().Validate(null, new IngestConsumerOptions { GroupId = groupId }).Succeeded);
    }

    [Fact]
    public void A_GroupId_longer_than_the_embedded_log_can_name_is_refused()
    {
        var longest = new string('g', 200);

        Assert.True(new IngestConsumerOptionsValidator().Validate(null, new IngestConsumerOptions { GroupId = longest }).Succeeded);
        Assert.True(new IngestConsumerOptionsValidator().Validate(null, new IngestConsumerOptions { GroupId = longest + "g" }).Failed);
    }

    [Fact]
    public async Task A_host_whose_GroupId_is_bad_refuses_to_start_and_says_why()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Ingest:Consumer:GroupId"] = "xray consumers" });
        builder.Services.AddXRayIngestConsumer();
        builder.Services.RemoveAll<IHostedService>(); // they need a log and a store; the options are checked before they run
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("Ingest:Consumer:GroupId 'xray consumers' must be", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1023)]
    public void A_MaxBatchBytes_below_1_KiB_is_refused(long maxBatchBytes)
    {
        var result = new IngestConsumerOptionsValidator().Validate(null, new IngestConsumerOptions { MaxBatchBytes = maxBatchBytes });

        Assert.True(result.Failed);
        Assert.Contains("Ingest:Consumer:MaxBatchBytes", result.FailureMessage, StringComparison.Ordinal);
    }
}
