using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using XRay.Gateway.Hosting;
using XRay.Gateway.Options;

namespace XRay.Gateway.Auth;

/// <summary>
/// Keeps made-up API keys away from the store. Authentication runs before the request limits, so every <c>x-api-key</c>
/// would cost a key grain's activation and a store query before any limit applied. Keys this server has seen answered
/// are remembered by hash: a valid one is still resolved on every request (a revocation takes effect at once) but spends
/// no budget; one that was refused is refused again without a lookup for a minute. Any other key first takes a token from its client
/// address's bucket.
/// </summary>
/// <remarks>
/// Memory stays bounded: at most <see cref="RememberedKeys"/> hashes (refused ones are dropped first when it fills, since a
/// spray brings only those), and idle buckets are dropped as <see cref="LoginThrottle"/>'s are. Refusing a remembered key
/// without a lookup is safe: the server makes keys from 256 random bits, so none is looked up before it exists, and a
/// revoked key stays revoked.
/// </remarks>
public sealed class KeyLookupThrottle : IDisposable
{
    /// <summary>How many key hashes are remembered at most (about 350 bytes each, the hash included: some 35 MB when full).</summary>
    public const int RememberedKeys = 100_000;

    /// <summary>How long a refused key is refused without a lookup.</summary>
    public static readonly TimeSpan RefusalMemory = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly MemoryCache _answers = new(new MemoryCacheOptions { SizeLimit = RememberedKeys });

    public KeyLookupThrottle(IOptions<RateLimitOptions> options)
    {
        var limits = options.Value;
        var bucket = RateLimiting.Bucket(limits.KeyLookupsPerSecond, TimeSpan.FromSeconds(1), limits.KeyLookupBurst);
        _limiter = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ => bucket));
    }

    /// <summary>What the last lookup of the key answered: valid (true), unknown or revoked (false), or nothing remembered (null).</summary>
    public bool? Remembered(string keyHash) => _answers.TryGetValue(keyHash, out bool valid) ? valid : null;

    /// <summary>Takes one lookup from the address's budget; a refused lease carries the wait as its retry-after metadata.</summary>
    public RateLimitLease AcquireLookup(IPAddress? clientAddress) => _limiter.AttemptAcquire(ClientAddress.PartitionKey(clientAddress));

    /// <summary>Remembers what a lookup answered.</summary>
    /// <remarks>
    /// A refusal is remembered for <see cref="RefusalMemory"/> only: long enough that a fleet still sending a revoked key
    /// costs one lookup a minute, short enough that a refusal read from a lagging store heals by itself.
    /// </remarks>
    public void Remember(string keyHash, bool valid) =>
        _answers.Set(keyHash, valid, valid
            ? new MemoryCacheEntryOptions { Size = 1, Priority = CacheItemPriority.High }
            : new MemoryCacheEntryOptions { Size = 1, Priority = CacheItemPriority.Low, AbsoluteExpirationRelativeToNow = RefusalMemory });

    public void Dispose()
    {
        _limiter.Dispose();
        _answers.Dispose();
    }
}
