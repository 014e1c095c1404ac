using Microsoft.AspNetCore.Mvc;

namespace XRay.Gateway.Hosting;

/// <summary>Shared endpoint conventions.</summary>
public static class EndpointConventions
{
    /// <summary>Bodies of account and query requests are small; anything larger is refused with 413 before it is read.</summary>
    public const long SmallBodyBytes = 64 * 1024;

    public static TBuilder WithSmallBody<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestSizeLimitAttribute(SmallBodyBytes));
}
