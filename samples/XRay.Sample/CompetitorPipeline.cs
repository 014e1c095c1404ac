using XRay.Sdk;

namespace XRay.Sample;

/// <summary>
/// A four-step pipeline that picks a competitor for a product: keywords → search → filter → rank.
/// Every step records what it considered and why it decided, the large lists go out as data blobs.
/// </summary>
public sealed class CompetitorPipeline(IReadOnlyList<Product> catalog)
{
    private static readonly HashSet<string> StopWords = ["for", "and", "with", "the", "a"];

    public async Task<Product?> FindCompetitorAsync(Trace trace, string product)
    {
        // 1. keywords: a stand-in for an LLM call, captured with its input, output and duration
        var keywords = await trace.CaptureAsync("extract-keywords", async () =>
        {
            await Task.Delay(20); // the "model" thinks
            return product.ToLowerInvariant().Split(' ').Where(w => w.Length > 3 && !StopWords.Contains(w)).ToArray();
        }, kind: "llm", input: new { prompt = $"Keywords for: {product}" });

        // 2. search: every product matching any keyword; the candidate list is a data blob
        List<Product> candidates;
        using (var search = trace.BeginStep("search-catalog", kind: "search", input: new { keywords }))
        {
            candidates = catalog.Where(p => keywords.Any(k => p.Title.Contains(k, StringComparison.OrdinalIgnoreCase))).ToList();
            search.AddDataId(trace.DataId(candidates));
            search.Output = new { count = candidates.Count };
            search.Reasoning = $"{candidates.Count} titles contain at least one of {keywords.Length} keywords";
        }

        // 3. filter: same category as the best match, a sane price and enough reviews; record what each filter removed
        var category = candidates.GroupBy(p => p.Category).MaxBy(g => g.Count())?.Key;
        var byCategory = candidates.Where(p => p.Category == category).ToList();
        var byPrice = byCategory.Where(p => p.Price is >= 10 and <= 60).ToList();
        var kept = byPrice.Where(p => p.Reviews >= 500).ToList();
        var removed = candidates.Except(kept).Select(p => new { p.Asin, p.Title, reason = Why(p, category) }).ToList();
        trace.Step(
            "filter-candidates",
            kind: "filter",
            input: new { count = candidates.Count },
            output: kept.Select(p => p.Asin).ToArray(),
            filters: new[]
            {
                new { filter = $"category == {category}", removed = candidates.Count - byCategory.Count },
                new { filter = "10 <= price <= 60", removed = byCategory.Count - byPrice.Count },
                new { filter = "reviews >= 500", removed = byPrice.Count - kept.Count },
            },
            reasoning: "the dominant category rules out accessories that merely mention the product",
            dataIds: [trace.DataId(removed)]);

        // 4. rank: rating weighted by review volume; the reason for every position goes to a data blob
        using var rank = trace.BeginStep("rank", kind: "rank", input: new { count = kept.Count });
        var ranked = kept.Select(p => new { product = p, score = p.Rating * Math.Log10(p.Reviews) })
            .OrderByDescending(x => x.score).ToList();
        rank.AddDataId(trace.DataText(string.Join('\n', ranked.Select((x, i) =>
            $"{i + 1}. {x.product.Title}: {x.score:F2} = rating {x.product.Rating} × log10({x.product.Reviews} reviews)"))));
        rank.Output = ranked.Select(x => new { x.product.Asin, score = Math.Round(x.score, 2) }).ToArray();
        rank.Reasoning = "rating weighted by log10(review count): many good reviews beat a few perfect ones";
        return ranked.FirstOrDefault()?.product;
    }

    private static string Why(Product p, string? category) =>
        p.Category != category ? $"category {p.Category}" : p.Price is < 10 or > 60 ? $"price {p.Price}" : $"only {p.Reviews} reviews";
}
