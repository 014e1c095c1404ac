using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using XRay.Testing;

namespace XRay.Gateway.Tests;

/// <summary>
/// Another process (a backup, the <c>sqlite3</c> shell in a transaction) holds the store's write lock. A write that
/// cannot get it within <c>Storage:BusyTimeout</c> is a dependency unavailable for now, not a server bug: the gateway
/// answers 503 with <c>Retry-After</c> (which the SDK retries until delivered), not a 500 (which it gives up after a few),
/// changes nothing, and serves the same request once the lock is gone.
/// </summary>
public sealed class UnavailableStoreTests
{
    [Fact]
    public async Task A_store_locked_by_another_process_answers_503_with_Retry_After_and_the_retry_succeeds()
    {
        await using var gateway = new GatewayProcess(settings: new Dictionary<string, string> { ["Storage:BusyTimeout"] = "00:00:00.300" });
        await gateway.StartAsync();
        using var client = gateway.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var email = $"user-{Guid.NewGuid():N}@example.test";
        var register = new { email, password = "plenty-long passphrase 42" };

        var started = DateTime.UtcNow;
        await using (var other = new SqliteConnection($"Data Source={Path.Combine(gateway.DataDirectory, "xray.db")};Pooling=False"))
        {
            await other.OpenAsync(ct);
            await using (var begin = other.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE;"; // the write lock, held until the rollback below
                await begin.ExecuteNonQueryAsync(ct);
            }

            using var locked = await client.PostAsJsonAsync("api/v1/auth/register", register, ct);
            var text = await locked.Content.ReadAsStringAsync(ct);
            Assert.True(locked.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)locked.StatusCode}: {text}");
            Assert.Equal("application/problem+json", locked.Content.Headers.ContentType?.MediaType);
            Assert.Equal(TimeSpan.FromSeconds(5), locked.Headers.RetryAfter?.Delta);
            var problem = JsonSerializer.Deserialize<JsonElement>(text);
            Assert.Equal(503, problem.GetProperty("status").GetInt32());
            Assert.Contains("unavailable", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15), "the wait is bounded by Storage:BusyTimeout, not the driver's 30 s command timeout");
            // the operator learns why: the framework logs nothing for an exception a handler took, so the handler does
            // The line crosses the child's console logger and a pipe: seconds when loaded.
            await Poll.UntilAsync(
                () => gateway.Output.Contains("answered 503: a dependency is unavailable", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60), "the 503 to be logged", TimeSpan.FromMilliseconds(50), ct);
            Assert.Contains("SqliteException", gateway.Output, StringComparison.Ordinal);

            await using var rollback = other.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync(ct);
        }

        // Nothing was half-done: the same registration now succeeds, and the account works.
        var user = await client.RegisterAndLoginAsync(email);
        Assert.Equal(email, user.Email);
    }
}
