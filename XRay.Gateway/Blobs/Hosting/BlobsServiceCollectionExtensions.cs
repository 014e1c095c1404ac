using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using XRay.Gateway.Auth;
using XRay.Gateway.Blobs.Local;
using XRay.Gateway.Blobs.Options;
using XRay.Gateway.Blobs.S3;
using XRay.Grains.Options;

namespace XRay.Gateway.Blobs.Hosting;

/// <summary>Registers the blob store chosen by <c>Blobs:Provider</c>.</summary>
public static class BlobsServiceCollectionExtensions
{
    /// <summary>Adds the blob store bound to the <c>Blobs</c> section. Calling it twice is harmless.</summary>
    public static IHostApplicationBuilder AddXRayBlobs(this IHostApplicationBuilder builder)
    {
        builder.Services.AddXRayBlobs();
        return builder;
    }

    /// <inheritdoc cref="AddXRayBlobs(IHostApplicationBuilder)"/>
    public static IServiceCollection AddXRayBlobs(this IServiceCollection services)
    {
        services.AddOptions<BlobStoreOptions>().BindConfiguration(BlobStoreOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BlobStoreOptions>, BlobStoreOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<BlobStoreOptions>, DefaultBlobDirectory>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new LocalUrlSigner(SigningKey(sp)));
        services.TryAddSingleton<LocalBlobStore>();
        services.TryAddSingleton<S3BlobStore>();
        services.TryAddSingleton<IBlobStore>(sp => sp.GetRequiredService<IOptions<BlobStoreOptions>>().Value.Provider == BlobProvider.S3
            ? sp.GetRequiredService<S3BlobStore>()
            : sp.GetRequiredService<LocalBlobStore>());
        return services;
    }

    private static byte[] SigningKey(IServiceProvider services)
    {
        var configured = services.GetRequiredService<IOptions<BlobStoreOptions>>().Value.Local.SigningKey;
        return string.IsNullOrEmpty(configured)
            ? LocalUrlSigner.DeriveKey(services.GetRequiredService<JwtSigningKey>().Key.Key)
            : Convert.FromBase64String(configured);
    }

    /// <summary>Puts local blobs under the data directory unless configured elsewhere.</summary>
    private sealed class DefaultBlobDirectory(IOptions<SqliteStoreOptions> storage) : IPostConfigureOptions<BlobStoreOptions>
    {
        public void PostConfigure(string? name, BlobStoreOptions options)
        {
            if (string.IsNullOrWhiteSpace(options.Local.Directory))
            {
                options.Local.Directory = Path.Combine(storage.Value.DataDirectory, "blobs");
            }
        }
    }
}
