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
        if (File.Exists(path))
        {
            var existing = Convert.FromBase64String(File.ReadAllText(path).Trim());
            if (existing.Length >= 32)
            {
                return existing;
            }
        }

        PrivateDirectory.Create(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var key = RandomNumberGenerator.GetBytes(64);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // owner-only from the first byte
        }

        using (var writer = new StreamWriter(temp, System.Text.Encoding.ASCII, options))
        {
            writer.Write(Convert.ToBase64String(key));
        }

        File.Move(temp, path, overwrite: true);
        return key;
    }
}
