namespace XRay.Sample;

/// <summary>A product the search step can find.</summary>
public sealed record Product(string Asin, string Title, string Category, decimal Price, double Rating, int Reviews);

/// <summary>A small made-up catalog, with the kind of near-misses that make a pipeline worth tracing.</summary>
public static class Catalog
{
    public static IReadOnlyList<Product> Products { get; } =
    [
        new("B0A1", "Aluminium Laptop Stand, Adjustable Height", "laptop-stands", 39.99m, 4.6, 5120),
        new("B0A2", "Foldable Laptop Stand for Desk", "laptop-stands", 24.50m, 4.3, 2210),
        new("B0A3", "Laptop Stand Phone Case Bundle", "phone-cases", 12.99m, 4.8, 96),
        new("B0A4", "Wooden Monitor and Laptop Riser", "laptop-stands", 55.00m, 4.1, 640),
        new("B0A5", "Vertical Laptop Stand, Aluminium", "laptop-stands", 29.99m, 4.5, 1810),
        new("B0B1", "Ergonomic Wireless Mouse, Vertical", "mice", 34.99m, 4.4, 8800),
        new("B0B2", "Silent Wireless Mouse 2.4G", "mice", 14.99m, 4.2, 15400),
        new("B0B3", "Mouse Pad with Wrist Rest", "mouse-pads", 11.99m, 4.7, 3020),
        new("B0B4", "Ergonomic Trackball Mouse, Wireless", "mice", 49.99m, 4.6, 2100),
    ];
}
