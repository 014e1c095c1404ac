namespace XRay.Sdk.Tests.Fakes;

/// <summary>
/// Options tuned for tests: short delays so faults heal quickly; a fresh spool directory. The request timeout stays long:
/// a loopback request stalled past a short one on a loaded machine was cut off and sent again, and tests that count
/// requests, retries or refusals saw one more. Tests about timeouts set their own.
/// </summary>
public static class TestTracers
{
    public static XRayOptions Options(Uri baseAddress, string? tempDir = null, string apiKey = FakeGateway.ApiKey, string projectId = FakeGateway.ProjectId) => new()
    {
        ApiKey = apiKey,
        ProjectId = projectId,
        BaseUrl = baseAddress.ToString(),
        TempDir = tempDir ?? NewTempDir(),
        BatchInterval = TimeSpan.FromMilliseconds(50),
        RequestTimeout = TimeSpan.FromSeconds(30),
        RetryBaseDelay = TimeSpan.FromMilliseconds(50),
        RetryMaxDelay = TimeSpan.FromMilliseconds(400),
        ShutdownTimeout = TimeSpan.FromSeconds(10),
    };

    public static string NewTempDir() => Directory.CreateTempSubdirectory("xray-sdk-test-").FullName;
}
