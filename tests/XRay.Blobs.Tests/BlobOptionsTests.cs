using XRay.Testing;

namespace XRay.Blobs.Tests;

/// <summary>A bad <c>Blobs</c> setting stops the gateway at start with a message naming it.</summary>
public sealed class BlobOptionsTests
{
    [Theory]
    [InlineData("Blobs:Provider", "Azure", "Blobs:Provider")]
    [InlineData("Blobs:MaxBlobBytes", "0", "Blobs:MaxBlobBytes")]
    [InlineData("Blobs:UrlLifetime", "00:00:01", "Blobs:UrlLifetime")]
    [InlineData("Blobs:Local:SigningKey", "c2hvcnQ=", "Blobs:Local:SigningKey")]
    [InlineData("Blobs:Provider", "S3", "Blobs:S3:Bucket")]
    public async Task A_bad_setting_stops_the_gateway_naming_it(string setting, string value, string named)
    {
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string> { [setting] = value });
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => gateway.StartAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(named, failure.Message);
    }
}
