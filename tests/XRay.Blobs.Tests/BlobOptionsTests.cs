using XRay.Testing;

namespace XRay.Blobs.Tests;

/// <summary>A bad <c>Blobs</c> setting stops the gateway at start with a message naming it.</summary>
public sealed class BlobOptionsTests
{
    public static TheoryData<Dictionary<string, string>, string[]> BadSettings => new()
    {
        {
            new() { ["Blobs:MaxBlobBytes"] = "0", ["Blobs:UrlLifetime"] = "00:00:01", ["Blobs:Local:SigningKey"] = "c2hvcnQ=" },
            ["Blobs:MaxBlobBytes", "Blobs:UrlLifetime", "Blobs:Local:SigningKey"]
        },
        { new() { ["Blobs:Provider"] = "S3", ["Blobs:S3:AccessKeyId"] = "id-without-secret" }, ["Blobs:S3:Bucket", "Blobs:S3:AccessKeyId"] },
        { new() { ["Blobs:Provider"] = "Azure" }, ["Blobs:Provider"] },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Bad_settings_stop_the_gateway_naming_them(Dictionary<string, string> settings, string[] named)
    {
        await using var gateway = new GatewayProcess(settings: settings);
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => gateway.StartAsync()); // the harness's minute: a start that times out has not printed the names yet
        foreach (var setting in named)
        {
            Assert.Contains(setting, failure.Message);
        }
    }
}
