namespace XRay.Grains.Tests.Storage;

/// <summary>Ids in the formats the stores receive: 24-hex object ids and <c>{projectId}-{uuid}</c> trace ids.</summary>
internal static class StoreIds
{
    public static string NewObjectId() => Guid.NewGuid().ToString("N")[..24];

    public static string NewTraceId(string projectId) => $"{projectId}-{Guid.NewGuid():D}";

    public static string NewUuid() => Guid.NewGuid().ToString("D");

    /// <summary>A time with millisecond precision, as every store keeps it.</summary>
    public static DateTimeOffset At(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
}
