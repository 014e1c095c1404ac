namespace XRay.Sdk.Tests.Fakes;

/// <summary>
/// Yields for ever; a guard ends each enumeration after millions of items, so that a writer that does not stop at its
/// limit fails the test instead of taking the test process down.
/// </summary>
public sealed class Endless : IEnumerable<int>
{
    private const int Guard = 5_000_000;
    private int _mostPulled;

    public int MostPulled => Volatile.Read(ref _mostPulled);

    public IEnumerator<int> GetEnumerator()
    {
        for (var i = 0; ; i++)
        {
            if (i > Volatile.Read(ref _mostPulled))
            {
                Volatile.Write(ref _mostPulled, i);
            }

            if (i == Guard)
            {
                throw new InvalidOperationException("the writer pulled millions of items of an endless value");
            }

            yield return i;
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
