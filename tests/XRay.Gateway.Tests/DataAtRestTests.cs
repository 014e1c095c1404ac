using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using XRay.Testing;

namespace XRay.Gateway.Tests;

/// <summary>What the server leaves on disk and in its log: no secret in the clear, and nothing other users may read.</summary>
public sealed class DataAtRestTests
{
    [Fact]
    public async Task Secrets_are_stored_hashed_and_the_data_directory_is_the_servers_alone()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix permissions");
            return;
        }

        var parent = Directory.CreateTempSubdirectory("xray-at-rest-");
        try
        {
            // A data directory the server creates itself, as on a first start; logging as shipped.
            var dataDirectory = Path.Combine(parent.FullName, "data");
            await using var gateway = new GatewayProcess(parent.FullName, new Dictionary<string, string>
            {
                ["Storage:DataDirectory"] = dataDirectory,
                ["Logging:LogLevel:Default"] = "Information",
            });
            await gateway.StartAsync();
            using var client = gateway.CreateClient();
            var owner = await client.RegisterAndLoginAsync();
            var project = await client.CreateProjectWithKeyAsync(owner);
            var blobSignature = await IngestAndUploadAsync(client, project);
            await gateway.StopAsync();

            var secrets = new[] { owner.Password, project.ApiKey, project.ApiKey["xray_".Length..], owner.Token.Split('.')[2], blobSignature };
            foreach (var file in Directory.EnumerateFiles(dataDirectory, "*", SearchOption.AllDirectories))
            {
                var text = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file));
                Assert.All(secrets, secret => Assert.DoesNotContain(secret, text, StringComparison.Ordinal));
            }

            Assert.All(secrets, secret => Assert.DoesNotContain(secret, gateway.Output, StringComparison.Ordinal));

            // It holds password hashes, every tenant's traces and blobs: other users of the host get no way in.
            Assert.Equal(default, File.GetUnixFileMode(dataDirectory) & FileModes.GroupOrOthers);
        }
        finally
        {
            parent.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_blob_directory_the_server_creates_elsewhere_is_the_servers_alone_at_every_level()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix permissions");
            return;
        }

        var parent = Directory.CreateTempSubdirectory("xray-at-rest-");
        try
        {
            // Outside the data directory, so nothing above it hides it; the server makes it, and a project's and a trace's
            // directory in it, on the first upload.
            var blobs = Path.Combine(parent.FullName, "blobs");
            await using var gateway = new GatewayProcess(settings: new Dictionary<string, string> { ["Blobs:Local:Directory"] = blobs });
            await gateway.StartAsync();
            using var client = gateway.CreateClient();
            var project = await client.CreateProjectWithKeyAsync(await client.RegisterAndLoginAsync());
            await IngestAndUploadAsync(client, project);

            var created = Directory.EnumerateDirectories(blobs, "*", SearchOption.AllDirectories).Prepend(blobs).ToList();
            Assert.Equal(3, created.Count); // the root, the project's, the trace's
            foreach (var directory in created)
            {
                Assert.True((File.GetUnixFileMode(directory) & FileModes.GroupOrOthers) == default, $"{directory}: {File.GetUnixFileMode(directory)}");
            }
        }
        finally
        {
            parent.Delete(recursive: true);
        }
    }

    /// <summary>Ingests a trace and uploads a blob to it; returns the upload URL's signature.</summary>
    private static async Task<string> IngestAndUploadAsync(HttpClient client, TestProject project)
    {
        var trace = new TraceEvents(project.ProjectId);
        using (var ingest = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey, new { events = new[] { trace.TraceStart(), trace.Step(1) } })))
        {
            await XRayApi.EnsureAsync(ingest, HttpStatusCode.Accepted);
        }

        var body = "{\"kept\":12}"u8.ToArray();
        using var presign = await client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/presign", project.ApiKey,
            new { traceId = trace.TraceId, dataId = TraceEvents.NewId(), contentType = "application/json", size = body.Length }));
        await XRayApi.EnsureAsync(presign, HttpStatusCode.OK);
        var url = new Uri((await presign.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using (var upload = await client.PutAsync(url, content))
        {
            await XRayApi.EnsureAsync(upload, HttpStatusCode.Created);
        }

        return url.Query.Split('&').Single(p => p.StartsWith("sig=", StringComparison.Ordinal))["sig=".Length..];
    }
}
