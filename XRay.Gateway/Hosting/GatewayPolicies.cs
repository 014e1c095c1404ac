namespace XRay.Gateway;

/// <summary>Authorization policy names. The default policy is a valid user JWT.</summary>
public static class GatewayPolicies
{
    /// <summary>An SDK request with a valid, unrevoked <c>x-api-key</c>.</summary>
    public const string ApiKey = "ApiKey";
}
