using System.Text.Json;
using XRay.Grains.Ingest;
using static XRay.Grains.Tests.Ingest.SampleEvents;

namespace XRay.Grains.Tests.Ingest;

public sealed class IngestEventParserTests
{
    [Fact]
    public void A_property_name_written_with_escapes_is_the_same_property()
    {
        var evt = Accept($$$"""{"\u0065ventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a01","type":"trace","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:00Z","n\u0061me":"rank"}""");

        Assert.Equal("0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a01", evt.EventId);
        Assert.Equal("rank", evt.Name);
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("rank", 4)]
    [InlineData("ünïcödé", 7)]
    [InlineData("😀", 1)]
    [InlineData("a😀b😀", 4)]
    public void Lengths_count_characters_as_JSON_Schema_does_a_surrogate_pair_once(string text, int expected) =>
        Assert.Equal(expected, IngestEventParser.CharacterCount(text));

    [Fact]
    public void A_lone_surrogate_counts_as_one_character()
    {
        // Ingest refuses lone surrogates elsewhere; a query parameter may still hold one. (Built here: theory data
        // would not carry them through its serialization.)
        Assert.Equal(1, IngestEventParser.CharacterCount(new string('\uD83D', 1)));
        Assert.Equal(2, IngestEventParser.CharacterCount(new string(['\uDE00', '\uD83D'])));
        Assert.Equal(3, IngestEventParser.CharacterCount(new string(['a', '\uD83D', '\uD83D', '\uDE00'])[1..] + "b"));
    }

    [Fact]
    public void A_name_of_200_emoji_is_within_the_limit_and_one_of_201_is_not()
    {
        var name = string.Concat(Enumerable.Repeat("😀", 200));
        Assert.Equal(name, Accept($$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a01","type":"trace","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:00Z","name":"{{{name}}}"}""").Name);
        Assert.Equal("name is required, at most 200 characters.",
            Refuse($$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a01","type":"trace","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:00Z","name":"{{{name}}}😀"}"""));
    }

    [Fact]
    public void Event_and_step_ids_are_kept_in_lower_case_whatever_case_they_arrive_in()
    {
        var evt = Accept($$$"""{"eventId":"0193A1B2-0000-7E5F-8A9B-0C1D2E3F4A0F","type":"step","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:01Z","stepId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4A03","stepNumber":1,"name":"s"}""");

        Assert.Equal("0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a0f", evt.EventId);
        Assert.Equal("0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a03", evt.StepId);
    }

    [Theory]
    [InlineData(IngestEventParser.MaxEventDepth, true)]
    [InlineData(IngestEventParser.MaxEventDepth + 1, false)]
    [InlineData(IngestEventParser.MaxEventDepth + 500, false)]
    public void An_event_nested_too_deep_is_refused_on_its_own(int depth, bool accepted)
    {
        // The event object is level 1 and "input" holds the rest: arrays, each one level.
        var input = new string('[', depth - 1) + new string(']', depth - 1);
        var json = $$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a01","type":"step","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:00Z","stepId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a03","stepNumber":1,"name":"s","input":{{{input}}}}""";
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = IngestEventParser.MaxBatchDepth });

        Assert.Equal(accepted, IngestEventParser.TryAccept(document.RootElement, Project, 64 * 1024, out _, out var error));
        Assert.True(accepted || error.Contains("levels", StringComparison.Ordinal), error);
    }

    [Fact]
    public void Of_a_property_given_twice_the_last_counts()
    {
        var evt = Accept($$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a01","type":"step","type":"trace","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:00Z","name":"first","name":"second"}""");

        Assert.Equal(IngestEventType.Trace, evt.Type);
        Assert.Equal("second", evt.Name);
    }

    [Fact]
    public void A_steps_document_keeps_its_payloads_as_sent_in_a_fixed_order_and_drops_unknown_properties()
    {
        var evt = Accept($$$"""{"reasoning":"r \"q\" \u00e9","extra":{"x":1},"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a02","type":"step","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:01Z","stepId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a03","stepNumber":1,"name":"s","input":{"a":[1,2.50,null]},"candidates":[]}""");

        using var step = JsonDocument.Parse(evt.Document!);
        var names = step.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["stepId", "stepNumber", "name", "kind", "status", "startedAt", "endedAt", "durationMs", "input", "candidates", "reasoning"], names);
        Assert.Contains("\"input\":{\"a\":[1,2.50,null]}", System.Text.Encoding.UTF8.GetString(evt.Document!), StringComparison.Ordinal);
        Assert.Equal("r \"q\" é", step.RootElement.GetProperty("reasoning").GetString());
    }

    [Theory]
    [InlineData("\"stepNumber\":\"1\"", "stepNumber must be a positive integer.")]
    [InlineData("\"stepNumber\":1,\"kind\":7", "kind must be a string of at most 100 characters.")]
    [InlineData("\"stepNumber\":1,\"reasoning\":{}", "reasoning must be a string.")]
    [InlineData("\"stepNumber\":1,\"metadata\":[]", "metadata must be a JSON object.")]
    [InlineData("\"stepNumber\":1,\"dataIds\":[\"x\"]", "dataIds must hold uuids.")]
    [InlineData("\"stepNumber\":1,\"endedAt\":\"2026-12-01T09:00:00Z\"", "endedAt must not be before startedAt.")]
    [InlineData("\"stepNumber\":1.5", "stepNumber must be a positive integer.")]
    [InlineData("\"stepNumber\":2147483648", "stepNumber must be a positive integer.")]
    // Fractions with more significant digits than decimal's 28-29, which rounded them to an integer (the first to 1).
    [InlineData("\"stepNumber\":0.99999999999999999999999999999999", "stepNumber must be a positive integer.")]
    [InlineData("\"stepNumber\":1.00000000000000000000000000001", "stepNumber must be a positive integer.")]
    [InlineData("\"stepNumber\":2147483647.0000000000000000000000001", "stepNumber must be a positive integer.")]
    [InlineData("\"stepNumber\":99999999999999999999999999999999e-32", "stepNumber must be a positive integer.")]
    [InlineData("\"stepNumber\":1e-400", "stepNumber must be a positive integer.")]
    [InlineData("\"stepNumber\":1e400", "stepNumber must be a positive integer.")]
    [InlineData("\"stepNumber\":1,\"endedAt\":\"2026-12-02\"", "startedAt and endedAt must be RFC 3339 date-times.")]
    [InlineData("\"stepNumber\":1,\"endedAt\":\"2026-12-02 10:00:00Z\"", "startedAt and endedAt must be RFC 3339 date-times.")]
    [InlineData("\"stepNumber\":1,\"endedAt\":\"2026-12-02T10:00:00.Z\"", "startedAt and endedAt must be RFC 3339 date-times.")]
    [InlineData("\"stepNumber\":1,\"endedAt\":\"2026-12-02T10:00:00+0100\"", "startedAt and endedAt must be RFC 3339 date-times.")]
    [InlineData("\"stepNumber\":1,\"endedAt\":\"2026-12-02T10:00:00\"", "startedAt and endedAt must be RFC 3339 date-times.")]
    public void A_bad_step_field_is_named(string fields, string reason)
    {
        var error = Refuse($$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a02","type":"step","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:01Z","stepId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a03","name":"s",{{{fields}}}}""");

        Assert.Equal(reason, error);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("-0.0e5", 0)]
    [InlineData("0e99999999999999999999", 0)]
    [InlineData("-2147483648.000", int.MinValue)]
    [InlineData("21474836470e-1", int.MaxValue)]
    [InlineData("0.000000000000000000000000000000000000042e39", 42)]
    [InlineData("42" + "00000000000000000000000000000000000000000000000000" + "e-50", 42)]
    [InlineData("2147483648.0", null)]
    [InlineData("-2147483649e0", null)]
    [InlineData("0.99999999999999999999999999999999", null)]
    [InlineData("42.000000000000000000000000000001", null)]
    [InlineData("1e99999999999999999999", null)]
    [InlineData("1e-99999999999999999999", null)]
    [InlineData("\"1\"", null)]
    public void Integral_values_are_judged_exactly_on_the_numbers_digits(string json, int? expected)
    {
        using var document = JsonDocument.Parse(json);

        var integral = IngestEventParser.TryGetInt32Value(document.RootElement, out var value);

        Assert.Equal(expected, integral ? value : null);
    }

    [Theory]
    [InlineData("1.0", "2026-12-01T10:00:01Z")]
    [InlineData("1e0", "2026-12-01T10:00:01.5+01:00")]
    [InlineData("1", "2026-12-01T10:00:01.123456789-05:30")]
    [InlineData("1", "\\u0032026-12-01T10:00:01Z")]
    [InlineData("100e-2", "2026-12-01T10:00:01Z")]
    [InlineData("0.01E+2", "2026-12-01T10:00:01Z")]
    [InlineData("1.000000000000000000000000000000000000", "2026-12-01T10:00:01Z")]
    [InlineData("10000000000000000000000000000000000000000e-40", "2026-12-01T10:00:01Z")]
    public void A_step_number_written_as_any_integral_number_and_any_RFC_3339_time_are_accepted(string stepNumber, string time)
    {
        var evt = Accept($$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a02","type":"step","traceId":"{{{TraceId}}}","timestamp":"{{{time}}}","stepId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a03","name":"s","stepNumber":{{{stepNumber}}}}""");

        Assert.Equal(1, evt.StepNumber);
        Assert.Equal(DateTimeOffset.Parse(time.Replace("\\u0032", "2", StringComparison.Ordinal)).ToUnixTimeMilliseconds(), evt.Timestamp);
    }
}
