using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace XRay.Sdk.Tests.Unit;

[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class OptionsTests
{
    [Fact]
    public void Defaults_are_the_specification_s()
    {
        var o = new XRayOptions();
        Assert.True(o.Enabled);
        Assert.False(o.Debug);
        Assert.Equal("http://localhost:3000", o.BaseUrl);
        Assert.Null(o.TempDir);
        Assert.Equal(500L * 1024 * 1024, o.MaxDiskSize);
        Assert.Equal(50L * 1024 * 1024, o.MaxMemorySize);
        Assert.Equal(100L * 1024 * 1024, o.MaxBlobSize); // the gateway's Blobs:MaxBlobBytes (BlobLimitTests asks the gateway)
        Assert.Equal(TimeSpan.FromMilliseconds(1000), o.BatchInterval);
        Assert.Equal(50, o.MaxBatchSize);
        Assert.Equal(2, o.WorkerPoolSize);
        Assert.Equal(8, o.MaxServerErrorAttempts);
    }

    [Fact]
    public void Missing_key_and_project_are_explained()
    {
        var e = Assert.Throws<OptionsValidationException>(() => new XRayTracer(new XRayOptions()));
        Assert.Contains(e.Failures, f => f.Contains("ApiKey is required", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("ProjectId is required", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("proj")]
    [InlineData("0123456789ABCDEF01234567")] // the API gives lowercase; the gateway compares exactly
    [InlineData("0123456789abcdef0123456")]
    [InlineData("0123456789abcdef012345678")]
    [InlineData("../0123456789abcdef012345")]
    public void A_project_id_that_is_not_the_APIs_is_refused_at_start_not_event_by_event(string projectId)
    {
        var result = new XRayOptionsValidator().Validate(null, new XRayOptions { ApiKey = "k", ProjectId = projectId });
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("must be the project's id as the API gives it: 24 lowercase hex digits", StringComparison.Ordinal));
        Assert.True(new XRayOptionsValidator().Validate(null, new XRayOptions { ApiKey = "k", ProjectId = "0123456789abcdef01234567" }).Succeeded);
    }

    [Fact]
    public void Every_invalid_setting_is_named()
    {
        var o = new XRayOptions { ApiKey = "k", ProjectId = "p", BaseUrl = "localhost:3000", MaxBatchSize = 0, WorkerPoolSize = -1, BatchInterval = TimeSpan.Zero, MaxServerErrorAttempts = 0 };
        var result = new XRayOptionsValidator().Validate(null, o);
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("BaseUrl", StringComparison.Ordinal) && f.Contains("absolute http", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("MaxBatchSize", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("WorkerPoolSize", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("BatchInterval", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("MaxServerErrorAttempts must be greater than zero", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(nameof(XRayOptions.MaxQueueSize))] // int.MaxValue: the ring's size overflowed
    [InlineData(nameof(XRayOptions.RequestTimeout))] // 5 ms: under the retry pipeline's per-attempt minimum
    [InlineData(nameof(XRayOptions.RetryBaseDelay))] // two days: over what the retry pipeline takes
    [InlineData(nameof(XRayOptions.RetryMaxDelay))]
    [InlineData(nameof(XRayOptions.BatchInterval))] // sixty days: over what a timer takes
    [InlineData(nameof(XRayOptions.MaxBlobSize))] // 4 GiB: a blob is serialized into one array
    public void A_setting_past_what_the_tracer_can_run_with_is_named_at_start_not_thrown_from_inside(string setting)
    {
        var o = new XRayOptions { ApiKey = "k", ProjectId = "0123456789abcdef01234567", TempDir = Fakes.TestTracers.NewTempDir() };
        switch (setting)
        {
            case nameof(XRayOptions.MaxQueueSize):
                o.MaxQueueSize = int.MaxValue;
                break;
            case nameof(XRayOptions.RequestTimeout):
                o.RequestTimeout = TimeSpan.FromMilliseconds(5);
                break;
            case nameof(XRayOptions.RetryBaseDelay):
                o.RetryBaseDelay = TimeSpan.FromDays(2);
                o.RetryMaxDelay = TimeSpan.FromDays(2);
                break;
            case nameof(XRayOptions.RetryMaxDelay):
                o.RetryMaxDelay = TimeSpan.FromDays(2);
                break;
            case nameof(XRayOptions.MaxBlobSize):
                o.MaxBlobSize = 4L << 30;
                break;
            default:
                o.BatchInterval = TimeSpan.FromDays(60);
                break;
        }

        var e = Assert.Throws<OptionsValidationException>(() => new XRayTracer(o).Dispose());
        Assert.Contains(e.Failures, f => f.StartsWith($"XRay:{setting} ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_disabled_tracer_needs_no_key_and_records_nothing()
    {
        using var tracer = new XRayTracer(new XRayOptions { Enabled = false });
        var trace = tracer.CreateTrace("run");
        trace.Step("a");
        var id = trace.DataId(new { big = "value" });

        Assert.False(tracer.IsEnabled);
        Assert.NotEqual(Guid.Empty, id);
        Assert.Equal(0, tracer.Stats.EventsRecorded);
    }

    [Fact]
    public void Configuration_reads_milliseconds_and_durations()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["XRay:ApiKey"] = "xray_k",
            ["XRay:ProjectId"] = "0123456789abcdef01234567",
            ["XRay:BatchInterval"] = "250",
            ["XRay:RequestTimeout"] = "00:00:03",
            ["XRay:MaxBatchSize"] = "10",
            ["XRay:MaxServerErrorAttempts"] = "3",
            ["XRay:Debug"] = "true",
        }).Build();

        var o = XRayOptionsReader.FromConfiguration(config.GetSection("XRay"));

        Assert.Equal("xray_k", o.ApiKey);
        Assert.Equal(TimeSpan.FromMilliseconds(250), o.BatchInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), o.RequestTimeout);
        Assert.Equal(10, o.MaxBatchSize);
        Assert.Equal(3, o.MaxServerErrorAttempts);
        Assert.True(o.Debug);
    }

    [Fact]
    public void A_malformed_value_names_its_key()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["MaxBatchSize"] = "lots" }).Build();
        var e = Assert.Throws<FormatException>(() => XRayOptionsReader.FromConfiguration(config));
        Assert.Contains("XRay:MaxBatchSize 'lots'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_variables_use_the_XRAY_prefix()
    {
        Environment.SetEnvironmentVariable("XRAY_MAX_DISK_SIZE", "4096");
        Environment.SetEnvironmentVariable("XRAY_WORKER_POOL_SIZE", "3");
        Environment.SetEnvironmentVariable("XRAY_MAX_BLOB_SIZE", "1048576");
        try
        {
            var o = XRayOptionsReader.FromEnvironment();
            Assert.Equal(4096, o.MaxDiskSize);
            Assert.Equal(3, o.WorkerPoolSize);
            Assert.Equal(1048576, o.MaxBlobSize);
        }
        finally
        {
            Environment.SetEnvironmentVariable("XRAY_MAX_DISK_SIZE", null);
            Environment.SetEnvironmentVariable("XRAY_WORKER_POOL_SIZE", null);
            Environment.SetEnvironmentVariable("XRAY_MAX_BLOB_SIZE", null);
        }
    }

    [Fact]
    public async Task AddXRay_registers_one_validated_tracer_from_configuration_and_code()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["XRay:ApiKey"] = "xray_k",
            ["XRay:ProjectId"] = "0123456789abcdef01234567",
            ["XRay:Enabled"] = "false",
        }).Build();
        var services = new ServiceCollection().AddXRay(config, o => o.MaxBatchSize = 7).AddXRay();
        await using var provider = services.BuildServiceProvider();

        var tracer = provider.GetRequiredService<XRayTracer>();

        Assert.Same(tracer, provider.GetRequiredService<XRayTracer>());
        Assert.Equal(7, provider.GetRequiredService<IOptions<XRayOptions>>().Value.MaxBatchSize);
        Assert.False(tracer.IsEnabled);
    }

    [Fact]
    public void AddXRay_reports_invalid_options_when_resolved()
    {
        using var provider = new ServiceCollection().AddXRay(o => o.ApiKey = "").BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<XRayTracer>());
        Assert.Contains(e.Failures, f => f.Contains("ApiKey", StringComparison.Ordinal));
    }
}

/// <summary>
/// Tests that set the process's environment variables: never beside other tests, whose child processes (the sample of
/// <c>CrashTests</c>, which reads <c>XRAY_*</c>) would start with them.
/// </summary>
[CollectionDefinition(nameof(ProcessEnvironmentCollection), DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection;
