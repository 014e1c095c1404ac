using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.Session;
using Orleans.Serialization.WireProtocol;
using XRay.Grains.Ingest;
using static XRay.Grains.Tests.Ingest.SampleEvents;

namespace XRay.Grains.Tests.Ingest;

public sealed class IngestRecordCodecTests
{

    private static readonly IngestRecordCodec Codec = new(new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer<IngestEvent>>());

    private static readonly string[] EventTexts =
    [
        $$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a01","type":"trace","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:00Z","name":"rank","metadata":{"user":"ü","n":[1,2]}}""",
        $$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a02","type":"step","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:01Z","stepId":"0193A1B2-0000-7E5F-8A9B-0C1D2E3F4A03","stepNumber":3,"name":"filter","kind":"llm","startedAt":"2026-12-01T10:00:01Z","endedAt":"2026-12-01T10:00:02.5Z","input":{"q":"x\"y"},"output":[1,{"a":null}],"candidates":[{"id":1}],"filters":{"min":0.5},"reasoning":"because 😀","metadata":{},"dataIds":["0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a04"]}""",
        $$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a05","type":"error","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:03Z","stepId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a06","stepNumber":4,"name":"call","error":{"message":"timeout","code":504}}""",
        $$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a07","type":"success","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:04Z","output":{"best":"b"}}""",
        $$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a08","type":"failure","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:05Z","error":{"message":"gave up"}}""",
    ];

    private static readonly string StepText = EventTexts[1];

    public static TheoryData<string> Events() => new(EventTexts);

    [Theory]
    [MemberData(nameof(Events))]
    public void A_compact_record_decodes_to_what_the_gateway_accepted_and_to_what_its_JSON_parses_to(string json)
    {
        var accepted = Accept(json);

        var record = Codec.Encode(accepted);

        Assert.Equal(IngestRecordCodec.CompactMarker, record[0]);
        Assert.True(Codec.TryDecode(record, out var decoded, out var error), error);
        Assert.Equal(accepted, decoded, IngestEvents.ByContent);

        // A record an earlier version wrote (the event's JSON) still reads, to the same event.
        Assert.True(Codec.TryDecode(Encoding.UTF8.GetBytes(json), out var fromJson, out error), error);
        Assert.Equal(accepted, fromJson, IngestEvents.ByContent);
    }

    [Fact]
    public void A_step_record_carries_its_rendered_document()
    {
        Assert.True(Codec.TryDecode(Codec.Encode(Accept(StepText)), out var decoded, out _));

        using var step = JsonDocument.Parse(decoded!.Document!);
        Assert.Equal("0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a03", step.RootElement.GetProperty("stepId").GetString());
        Assert.Equal(1500, step.RootElement.GetProperty("durationMs").GetInt64());
        Assert.Equal("because 😀", step.RootElement.GetProperty("reasoning").GetString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(10)]
    public void A_truncated_compact_record_is_refused_with_a_reason_not_thrown(int keep)
    {
        var record = Codec.Encode(Accept(StepText));

        Assert.False(Codec.TryDecode(record.AsMemory(0, keep), out var decoded, out var error));
        Assert.Null(decoded);
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"type\":\"step\"}")]
    [InlineData("[1,2]")]
    public void A_record_that_is_neither_compact_nor_a_valid_event_is_refused_with_a_reason(string text)
    {
        Assert.False(Codec.TryDecode(Encoding.UTF8.GetBytes(text), out var decoded, out var error));
        Assert.Null(decoded);
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("{\"a\":\"\\ud800\"}", true)]
    [InlineData("{\"a\":\"\\uDFFF\"}", true)]
    [InlineData("{\"a\":\"\\\\ud800\"}", true)] // an escaped backslash: looked at closely, then found fine
    [InlineData("{\"a\":\"\\u00e9 \\u20ac\"}", false)]
    [InlineData("{\"a\":\"ud800 \\\\\"}", false)]
    [InlineData("{\"a\":\"\\u\"}", false)]
    public void The_fast_text_check_looks_closely_at_every_possible_surrogate_escape(string raw, bool mayHold)
    {
        Assert.Equal(mayHold, IngestEventParser.MayHoldSurrogateEscape(Encoding.UTF8.GetBytes(raw)));
    }

    [Theory]
    [InlineData("\\ud800")]
    [InlineData("\\uDC00x")]
    [InlineData("a\\ud83d")]
    public void An_event_with_a_lone_surrogate_escape_is_not_accepted(string text)
    {
        var json = $$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a07","type":"success","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:04Z","output":{"x":"{{{text}}}"}}""";
        Assert.Contains("surrogate", Refuse(json), StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_surrogate_pair_escape_is_accepted()
    {
        var json = $$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a07","type":"success","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:04Z","output":{"x":"\ud83d\ude00"}}""";
        Accept(json);
    }

    /// <summary>
    /// The step of <see cref="StepText"/> as the first version with compact records wrote it: every later version must
    /// still read it (a log outlives the process that wrote it). Never regenerate it; add a fixture for a new format.
    /// </summary>
    private const string StepRecordWrittenByThisVersion =
        "0120E8404930313933613162322D303030302D376535662D386139622D306331643265336634613032090305417B36373531" +
        "61306630633262316533643466356136623763382D30313933613162322D633364342D376535662D386139622D3063316432" +
        "653366346135624131363735316130663063326231653364346635613662376338012074028618D1410D66696C7465724107" +
        "6C6C6D414930313933613162322D303030302D376535662D386139622D306331643265336634613033010D012074028618D1" +
        "012062058618D1C101C101C10141EA057B22737465704964223A2230313933613162322D303030302D376535662D38613962" +
        "2D306331643265336634613033222C22737465704E756D626572223A332C226E616D65223A2266696C746572222C226B696E" +
        "64223A226C6C6D222C22737461747573223A226F6B222C22737461727465644174223A22323032362D31322D30315431303A" +
        "30303A30315A222C22656E6465644174223A22323032362D31322D30315431303A30303A30322E355A222C22647572617469" +
        "6F6E4D73223A313530302C22696E707574223A7B2271223A22785C2279227D2C226F7574707574223A5B312C7B2261223A6E" +
        "756C6C7D5D2C2263616E64696461746573223A5B7B226964223A317D5D2C2266696C74657273223A7B226D696E223A302E35" +
        "7D2C22726561736F6E696E67223A226265636175736520F09F9880222C226D65746164617461223A7B7D2C22646174614964" +
        "73223A5B2230313933613162322D303030302D376535662D386139622D306331643265336634613034225D7DC101C1010101" +
        "C101E0";

    [Theory]
    [InlineData("2026-12-01")]
    [InlineData("2026-12-01T10:00:00")]
    public void A_JSON_record_acknowledged_under_the_laxer_time_rules_of_earlier_versions_still_reads(string time)
    {
        // Ingest now refuses these forms (RFC 3339 only); a record an earlier gateway acknowledged must not be lost.
        var json = $$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a02","type":"step","traceId":"{{{TraceId}}}","timestamp":"{{{time}}}","stepId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a03","name":"s","stepNumber":1,"startedAt":"{{{time}}}"}""";
        Assert.StartsWith("timestamp must be", Refuse(json), StringComparison.Ordinal);

        Assert.True(Codec.TryDecode(Encoding.UTF8.GetBytes(json), out var decoded, out var error), error);
        Assert.Equal(JsonDocument.Parse($"\"{time}\"").RootElement.GetDateTimeOffset().ToUnixTimeMilliseconds(), decoded!.Timestamp);
    }

    [Fact]
    public void A_JSON_record_with_uuid_groups_spelled_as_earlier_versions_took_them_still_reads()
    {
        // Ingest now takes hex digits only; Guid.TryParseExact took "+" and "0x" groups, and such records were acknowledged.
        var json = $$$"""{"eventId":"+193a1b2-0000-7e5f-8a9b-0c1d2e3f4a02","type":"step","traceId":"{{{Project}}}-0x93a1b2-0000-7e5f-8a9b-0c1d2e3f4a05","timestamp":"2026-12-01T10:00:00Z","stepId":"0193a1b2-0x00-7e5f-8a9b-0c1d2e3f4a03","name":"s","stepNumber":1,"dataIds":["+193a1b2-0000-7e5f-8a9b-0c1d2e3f4a04"]}""";
        Assert.Equal("eventId must be a uuid.", Refuse(json));

        Assert.True(Codec.TryDecode(Encoding.UTF8.GetBytes(json), out var decoded, out var error), error);
        Assert.Equal("0193a1b2-0x00-7e5f-8a9b-0c1d2e3f4a03", decoded!.StepId);
    }

    [Fact]
    public void A_compact_record_written_by_this_version_still_reads()
    {
        var accepted = Accept(StepText);

        Assert.True(Codec.TryDecode(Convert.FromHexString(StepRecordWrittenByThisVersion), out var decoded, out var error), error);
        Assert.Equal(accepted, decoded, IngestEvents.ByContent);
    }

    [Fact]
    public void A_step_record_is_written_as_the_first_version_wrote_it_so_that_a_rolled_back_version_still_reads_it()
    {
        // The document was a string then and is UTF-8 bytes now; both go on the wire as length-prefixed UTF-8, byte for byte.
        Assert.Equal(StepRecordWrittenByThisVersion, Convert.ToHexString(Codec.Encode(Accept(StepText))));
    }

    [Fact]
    public void An_event_with_bytes_that_are_not_UTF_8_is_not_accepted()
    {
        var json = Encoding.UTF8.GetBytes($$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a07","type":"success","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:04Z","output":{"x":"ab"}}""");
        var at = Array.IndexOf(json, (byte)'a', json.Length - 10);
        json[at] = 0xC3; // a lead byte followed by 'b': ill-formed UTF-8
        try
        {
            using var document = JsonDocument.Parse(json);
            Assert.False(IngestEventParser.TryAccept(document.RootElement, Project, 64 * 1024, out var accepted, out var error));
            Assert.Null(accepted);
            Assert.Equal("The event holds bytes that are not valid UTF-8.", error);
        }
        catch (JsonException)
        {
            // The JSON reader refused it first: the gateway answers 400 for such a body, which is as good.
        }
    }

    [Fact]
    public void A_lone_surrogate_escape_in_a_property_name_is_not_accepted()
    {
        var json = $$$"""{"eventId":"0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a07","type":"success","traceId":"{{{TraceId}}}","timestamp":"2026-12-01T10:00:04Z","output":{"\ud800":1}}""";
        Assert.Contains("surrogate", Refuse(json), StringComparison.Ordinal);
    }

    [Fact]
    public void A_process_that_cannot_decode_records_at_all_throws_instead_of_skipping_them()
    {
        // Skipping would let the consumer commit past every record; throwing makes it retry the batch.
        var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var broken = new IngestRecordCodec(new Serializer<IngestEvent>(new MissingCodec(), services.GetRequiredService<SerializerSessionPool>()));
        var record = Codec.Encode(Accept(StepText));

        Assert.Throws<CodecNotFoundException>(() => broken.TryDecode(record, out _, out _));
    }

    private sealed class MissingCodec : IFieldCodec<IngestEvent>
    {
        public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, IngestEvent? value)
            where TBufferWriter : System.Buffers.IBufferWriter<byte> => throw new CodecNotFoundException("No codec for IngestEvent.");

        public IngestEvent ReadValue<TInput>(ref Reader<TInput> reader, Field field) => throw new CodecNotFoundException("No codec for IngestEvent.");
    }

    public static TheoryData<string> IncompleteEvents() => ["no event id", "no trace id", "short trace id", "trace id of another project", "unknown type", "step without document", "data without content type"];

    [Theory]
    [MemberData(nameof(IncompleteEvents))]
    public void A_compact_record_that_decodes_to_an_incomplete_event_is_refused_with_a_reason(string what)
    {
        var step = new IngestEvent
        {
            EventId = "0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a02", Type = IngestEventType.Step, TraceId = TraceId, ProjectId = Project, Timestamp = 1,
            StepId = "0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a03", StepNumber = 1, Name = "s", Document = "{}"u8.ToArray(),
        };
        var incomplete = what switch
        {
            "no event id" => step with { EventId = null! },
            "no trace id" => step with { TraceId = "" },
            "short trace id" => step with { TraceId = "t-1" },
            "trace id of another project" => step with { ProjectId = "0123456789abcdef01234567" },
            "unknown type" => step with { Type = (IngestEventType)17 },
            "step without document" => step with { Document = null },
            _ => step with { Type = IngestEventType.Data, DataId = "0193a1b2-0000-7e5f-8a9b-0c1d2e3f4a04" },
        };
        Assert.True(Codec.TryDecode(Codec.Encode(step), out _, out var error), error);

        Assert.False(Codec.TryDecode(Codec.Encode(incomplete), out var decoded, out error));
        Assert.Null(decoded);
        Assert.StartsWith("The compact record", error, StringComparison.Ordinal);
    }
}
