using System.Text.Json.Nodes;

namespace XRay.Gateway.Tests;

/// <summary>
/// Random mutations of valid JSON requests for the fuzz tests: structurally (a value of another type or size, a property
/// gone or added, deep nesting) and as bytes (flipped, cut, invalid UTF-8). The seed and the number of cases are fixed,
/// so a failure reproduces; to explore further, set <c>XRAY_FUZZ_SEED</c> and <c>XRAY_FUZZ_CASES</c>.
/// </summary>
internal static class JsonMutations
{
    public static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("XRAY_FUZZ_SEED"), out var seed) ? seed : 20261201;

    private static readonly int? ConfiguredCases = int.TryParse(Environment.GetEnvironmentVariable("XRAY_FUZZ_CASES"), out var cases) ? cases : null;

    private static readonly JsonNode?[] OddValues =
    [
        null, true, 0, -1, 1.5, 1e308, JsonNode.Parse("123456789012345678901234567890"), "", " ", "\u0000", "null",
        "2026-13-45T99:99:99Z", "\ud800 lone", "01990000-0000-7000-8000-000000000000", new string('x', 300), "😀 ünïcödé", new JsonArray(),
        new JsonObject(), new JsonArray(1, "two", null), JsonNode.Parse("{\"a\":{\"b\":[1,{\"c\":null}]}}"),
    ];

    /// <summary>The number of cases: <c>XRAY_FUZZ_CASES</c> when set, otherwise the test's own default.</summary>
    public static int Cases(int byDefault) => ConfiguredCases ?? byDefault;

    /// <summary>Replaces, removes, adds or deeply nests a value anywhere in the tree; added properties are named from <paramref name="names"/>.</summary>
    public static void MutateAnywhere(JsonNode root, Random random, string[] names)
    {
        var containers = new List<JsonNode>();
        Collect(root, containers);
        switch (containers[random.Next(containers.Count)])
        {
            case JsonObject target:
                MutateProperty(target, random, names);
                break;
            case JsonArray array when array.Count > 0:
                array[random.Next(array.Count)] = random.Next(2) == 0 ? Odd(random) : Nested(random.Next(20, 400));
                break;
        }

        static void Collect(JsonNode? node, List<JsonNode> into)
        {
            if (node is JsonObject o)
            {
                into.Add(o);
                foreach (var (_, child) in o)
                {
                    Collect(child, into);
                }
            }
            else if (node is JsonArray a)
            {
                into.Add(a);
                foreach (var child in a)
                {
                    Collect(child, into);
                }
            }
        }
    }

    /// <summary>Removes a property, adds one named from <paramref name="names"/>, or gives one an odd or deeply nested value.</summary>
    public static void MutateProperty(JsonObject target, Random random, string[] names)
    {
        if (target.Count == 0)
        {
            return;
        }

        var name = target.ElementAt(random.Next(target.Count)).Key;
        switch (random.Next(5))
        {
            case 0:
                target.Remove(name);
                break;
            case 1:
                target[Pick(random, names)] = Odd(random);
                break;
            case 2:
                target[name] = Nested(random.Next(20, 400));
                break;
            default:
                target[name] = Odd(random);
                break;
        }
    }

    /// <summary>
    /// Flips a byte, cuts the text short, inserts invalid UTF-8, starts a string or property name with a lone surrogate
    /// escape (<c>\ud800</c>), or repeats a stretch.
    /// </summary>
    public static byte[] MutateBytes(byte[] bytes, Random random)
    {
        var list = bytes.ToList();
        switch (random.Next(5))
        {
            case 3:
                var quotes = list.Select((b, i) => (b, i)).Where(x => x.b == (byte)'"').Select(x => x.i).ToList();
                list.InsertRange(quotes.Count > 0 ? quotes[random.Next(quotes.Count)] + 1 : 0, "\\ud800"u8.ToArray());
                break;
            case 0:
                list[random.Next(list.Count)] = (byte)random.Next(256);
                break;
            case 1:
                return bytes[..random.Next(bytes.Length)]; // cut short
            case 2:
                list.InsertRange(random.Next(list.Count), Pick<byte[]>(random, [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x00]]));
                break;
            default:
                var start = random.Next(list.Count);
                list.InsertRange(start, list.GetRange(start, Math.Min(40, list.Count - start)));
                break;
        }

        return [.. list];
    }

    public static JsonNode? Odd(Random random) => OddValues[random.Next(OddValues.Length)]?.DeepClone();

    public static JsonNode Nested(int depth)
    {
        JsonNode node = 1;
        for (var i = 0; i < depth; i++)
        {
            node = i % 2 == 0 ? new JsonArray(node) : new JsonObject { ["n"] = node };
        }

        return node;
    }

    public static T Pick<T>(Random random, T[] choices) => choices[random.Next(choices.Length)];

    public static string Shorten(string text) => text.Length <= 600 ? text : text[..600] + "…";
}
