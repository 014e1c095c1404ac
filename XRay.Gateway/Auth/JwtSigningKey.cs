using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using XRay.Gateway.Options;
using XRay.Grains.Options;
using XRay.Grains.Storage;

namespace XRay.Gateway.Auth;

/// <summary>
/// The HMAC key tokens are signed with: from <c>Auth:SigningKey</c> when set, otherwise generated once
/// and kept (owner-only) in the data directory, so tokens survive a restart of the embedded server.
/// </summary>
public sealed class JwtSigningKey
{
    public const string FileName = "jwt-signing.key";

    public JwtSigningKey(IOptions<AuthOptions> auth, IOptions<SqliteStoreOptions> storage)
    {
        var configured = auth.Value.SigningKey;
        var bytes = string.IsNullOrEmpty(configured)
            ? LoadOrCreate(Path.Combine(storage.Value.DataDirectory, FileName))
            : Convert.FromBase64String(configured);
        Key = new SymmetricSecurityKey(bytes) { KeyId = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] };
    }

    public SymmetricSecurityKey Key { get; }

    private static byte[] LoadOrCreate(string path)
    {
        if (File.Exists(path) && Read(path) is { } existing)
        {
            return existing;
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        DirectorySync.Create(directory);
        var key = RandomNumberGenerator.GetBytes(64);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // owner-only from the first byte
        }

        using (var file = new FileStream(temp, options))
        {
            file.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(key)));
            file.Flush(flushToDisk: true); // the rename below publishes the key: its bytes must be on disk first
        }

        // Tokens are signed with this key from the first sign-in: lost on a power loss, it would sign out every user.
        File.Move(temp, path, overwrite: true);
        DirectorySync.Flush(directory);
        return key;
    }

    /// <summary>
    /// The key kept in <paramref name="path"/>, or <c>null</c> when the file is empty: what a power loss could leave of a
    /// key written before keys were synced to disk. Its tokens are gone either way, so a new key costs nothing more.
    /// Anything else that is not a key stops the start, naming the file, rather than replacing a key that may be the operator's.
    /// </summary>
    private static byte[]? Read(string path)
    {
        var text = File.ReadAllText(path).Trim();
        if (text.Length == 0)
        {
            return null;
        }

        var key = new byte[text.Length];
        if (Convert.TryFromBase64String(text, key, out var length) && length >= 32)
        {
            return key[..length];
        }

        throw new InvalidOperationException(
            $"The token signing key file '{path}' does not hold a base64 key of at least 32 bytes (truncated or edited?). "
            + "Restore it, or delete it to have a new key generated, which signs out every user.");
    }
}
