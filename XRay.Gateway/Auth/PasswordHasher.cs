using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Konscious.Security.Cryptography;
using Microsoft.Extensions.Options;
using XRay.Gateway.Options;

namespace XRay.Gateway.Auth;

/// <summary>
/// Argon2id password hashing (OWASP minimum: 19 MiB, 2 passes, 1 lane), stored in PHC string format so
/// parameters can be raised later without breaking old hashes. Hashing is bounded by a concurrency
/// limiter: a flood of logins gets 429, not an exhausted machine.
/// </summary>
public sealed class PasswordHasher(IOptions<AuthOptions> options) : IDisposable
{
    private const int MemoryKib = 19 * 1024;
    private const int Iterations = 2;
    private const int Parallelism = 1;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    private readonly ConcurrencyLimiter _limiter = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.Value.MaxConcurrentPasswordHashes,
        QueueLimit = options.Value.MaxConcurrentPasswordHashes * 16,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    // A fixed hash to verify against when the email is unknown, so both failures cost the same time.
    private readonly Lazy<string> _decoy = new(() => Format(RandomNumberGenerator.GetBytes(SaltBytes), new byte[HashBytes], MemoryKib, Iterations, Parallelism));

    public string DecoyHash => _decoy.Value;

    /// <summary>Hashes a password; throws <see cref="TooBusyException"/> when too many hashes are queued.</summary>
    public async Task<string> HashAsync(string password, CancellationToken cancellationToken)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = await ComputeAsync(password, salt, MemoryKib, Iterations, Parallelism, cancellationToken).ConfigureAwait(false);
        return Format(salt, hash, MemoryKib, Iterations, Parallelism);
    }

    /// <summary>Checks a password against a stored PHC string in constant time.</summary>
    public async Task<bool> VerifyAsync(string password, string stored, CancellationToken cancellationToken)
    {
        if (!TryParse(stored, out var salt, out var expected, out var memory, out var iterations, out var parallelism))
        {
            return false;
        }

        var actual = await ComputeAsync(password, salt, memory, iterations, parallelism, cancellationToken).ConfigureAwait(false);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    public void Dispose() => _limiter.Dispose();

    private async Task<byte[]> ComputeAsync(string password, byte[] salt, int memory, int iterations, int parallelism, CancellationToken cancellationToken)
    {
        using var lease = await _limiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            throw new TooBusyException("Too many sign-ins at once; retry shortly.");
        }

        using var argon = new Argon2id(Encoding.UTF8.GetBytes(password))
        {
            Salt = salt,
            MemorySize = memory,
            Iterations = iterations,
            DegreeOfParallelism = parallelism,
        };
        return await argon.GetBytesAsync(HashBytes).ConfigureAwait(false);
    }

    private static string Format(byte[] salt, byte[] hash, int memory, int iterations, int parallelism) =>
        $"$argon2id$v=19$m={memory},t={iterations},p={parallelism}${ToB64(salt)}${ToB64(hash)}";

    private static bool TryParse(string stored, out byte[] salt, out byte[] hash, out int memory, out int iterations, out int parallelism)
    {
        salt = hash = [];
        memory = iterations = parallelism = 0;
        var parts = stored.Split('$');
        if (parts.Length != 6 || parts[1] != "argon2id" || parts[2] != "v=19")
        {
            return false;
        }

        var parameters = parts[3].Split(',');
        if (parameters.Length != 3
            || !int.TryParse(parameters[0].AsSpan(2), out memory)
            || !int.TryParse(parameters[1].AsSpan(2), out iterations)
            || !int.TryParse(parameters[2].AsSpan(2), out parallelism))
        {
            return false;
        }

        salt = FromB64(parts[4]);
        hash = FromB64(parts[5]);
        return salt.Length > 0 && hash.Length > 0;
    }

    private static string ToB64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static byte[] FromB64(string value)
    {
        var padded = value.PadRight(value.Length + ((4 - (value.Length % 4)) % 4), '=');
        return Convert.TryFromBase64String(padded, new byte[padded.Length], out _) ? Convert.FromBase64String(padded) : [];
    }
}

/// <summary>The server is shedding load; answered with 429 and <c>Retry-After</c>.</summary>
public sealed class TooBusyException(string message) : Exception(message);
