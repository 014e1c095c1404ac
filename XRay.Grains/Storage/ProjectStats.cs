namespace XRay.Grains.Storage;

/// <summary>
/// A project's exact totals in the store: its traces by status, its steps and its data blobs. Redelivered events add
/// nothing (they insert no row); a trace that ends moves from <see cref="Running"/> to <see cref="Success"/> or
/// <see cref="Failure"/>. All zero for a project with nothing stored.
/// </summary>
public sealed record ProjectStats(long Traces, long Running, long Success, long Failure, long Steps, long Data)
{
    public static ProjectStats Empty { get; } = new(0, 0, 0, 0, 0, 0);
}
