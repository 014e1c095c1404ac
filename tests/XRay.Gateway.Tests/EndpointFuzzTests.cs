using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using XRay.Testing;
using static XRay.Gateway.Tests.JsonMutations;

namespace XRay.Gateway.Tests;

/// <summary>
/// Every endpoint a client can reach, sent mutated requests against the real gateway: JSON bodies mutated structurally
/// and as bytes (those of ingest and the step query in <see cref="Ingest.IngestFuzzTests"/>), query strings with odd,
/// huge, repeated and badly percent-encoded values, ids that are over-long, garbage or another project's, signed blob
/// URLs altered, and odd Content-Type, x-api-key, Authorization, Accept and Range headers. Whatever arrives, the answer
/// is never a 5xx, and a 4xx is a problem document that says what was wrong. The seed is fixed, so a failure reproduces; to explore further, set
/// <c>XRAY_FUZZ_SEED</c> and <c>XRAY_FUZZ_CASES</c> (the number of requests per test).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class EndpointFuzzTests(GatewayFixture fixture) : IDisposable
{
    private const string Password = "plenty-long passphrase 42";
    private static readonly int Cases = JsonMutations.Cases(100);

    private static readonly string[] OddText =
    [
        "", "%", "%zz", "%E", "%ED%A0%80", "%FF", "%C0%80", "%00", "%F4%90%80%80", "%F0%9F%98%80", "%C3%A9", "+", "%2B", "%26", "%3D",
        "%2F", "%2E%2E", "..", "%25", "%20", "null", "-1", "0", "99999999999999999999", "1e3", "0x10", "NaN",
    ];

    // Values that pass JSON binding, so they reach the endpoints' own checks and the stores.
    private static readonly JsonNode[] OddScalars =
    [
        "", " ", "\u0000", "\t\r\n", "😀 ünïcödé", "\u202e\ufeff", "a@b", "A@EXAMPLE.TEST", "\"q\"@example.test", "a@[127.0.0.1]", "ü@bücher.example",
        "a@example.test\u0000", "Ada <a@example.test>", "owner", "OWNER", "member", "application/json", "text/plain; charset=utf-8", "a/b; c=\"d\"",
        "application/json\r\nx-evil: 1", "*/*", "00000000-0000-0000-0000-000000000000", "01990000-0000-7000-8000-00000000000A", new string('a', 64),
        new string('F', 64), new string('a', 100), new string('a', 101), new string('a', 200), new string('a', 201), new string('a', 256),
        new string('a', 257), new string('a', 1025), new string('ü', 40_000), 0, -1, 1.5, long.MaxValue, long.MinValue, 104_857_601,
        JsonNode.Parse("9223372036854775808")!, JsonNode.Parse("1e400")!, JsonNode.Parse("-0")!,
    ];

    private static readonly string[] OddTimes =
    [
        "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-13-45T99:99:99Z", "2026-11-01", "2026-11-01T12:00:00%2B14:00",
        "1969-12-31T23:59:59.999Z", "9999-12-31T23:59:59-14:00", "2026-11-01T12:00:00.1234567890123Z",
    ];

    private static readonly string[] OddContentTypes =
    [
        "", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "*/*", "application/json;;;==",
        "application/json; charset=garbage", "application/json; charset=\"utf-8\"", "application/json; charset=", "application/json; charset=utf-7",
        "application/json; charset=utf-16", "application/json; charset=utf-32", "application/ld+json; charset=nope", "application/problem+json",
        "application/json; charset=utf-8; charset=latin1", "application/jsonx", "application/json; charset=ütf-8",
    ];

    // Header values go out as UTF-8, so non-ASCII keys and tokens reach the server as bytes, as from any client.
    private readonly HttpClient _client = new(new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 })
    {
        BaseAddress = fixture.Gateway.BaseAddress,
        Timeout = TimeSpan.FromSeconds(60),
    };

    private readonly Dictionary<int, int> _statuses = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task Mutated_register_and_login_bodies_never_get_a_5xx()
    {
        var existing = await _client.RegisterAndLoginAsync();
        var random = new Random(Seed);
        // Password hashing makes these the slowest requests: half the cases.
        for (var i = 0; i < Cases / 2; i++)
        {
            var login = random.Next(2) == 0;
            var body = new JsonObject { ["email"] = login ? existing.Email : $"fuzz-{Guid.NewGuid():N}@example.test", ["password"] = Password };
            var bytes = MutateJson(body, random, ["email", "password", "Email", "unknownField", ""]);
            await SendAsync(Request(HttpMethod.Post, login ? "api/v1/auth/login" : "api/v1/auth/register", bytes), $"case {i}");
        }

        AssertBothOutcomes();
    }

    [Fact]
    public async Task Mutated_project_key_and_member_bodies_never_get_a_5xx()
    {
        var world = await ArrangeAsync();
        var random = new Random(Seed);
        var createdKeys = new List<string>();
        for (var i = 0; i < Cases; i++)
        {
            var (path, body) = random.Next(4) switch
            {
                0 => ("api/v1/projects", new JsonObject { ["name"] = "fuzz project" }),
                1 => ($"api/v1/projects/{world.Project.ProjectId}/keys", new JsonObject { ["name"] = "fuzz key" }),
                _ => ($"api/v1/projects/{world.Project.ProjectId}/members", new JsonObject { ["email"] = world.Stranger.Email, ["role"] = Pick(random, ["member", "owner"]) }),
            };
            var bytes = MutateJson(body, random, ["name", "email", "role", "unknownField", ""]);
            var answer = await SendAsync(Request(HttpMethod.Post, path, bytes, bearer: world.Project.Owner.Token), $"case {i}");
            if (answer is { Status: 201 } && path.EndsWith("/keys", StringComparison.Ordinal))
            {
                createdKeys.Add(JsonDocument.Parse(answer.Body).RootElement.GetProperty("keyId").GetString()!);
            }

            if (createdKeys.Count > 0 && random.Next(8) == 0)
            {
                // Revoke a created key, now and then twice.
                var keyId = createdKeys[random.Next(createdKeys.Count)];
                await SendAsync(Request(HttpMethod.Delete, $"api/v1/projects/{world.Project.ProjectId}/keys/{keyId}", bearer: world.Project.Owner.Token), $"case {i}: revoke");
            }
        }

        AssertBothOutcomes();
        await AssertStillServesAsync(world);
    }

    [Fact]
    public async Task Mutated_presign_bodies_and_uploads_never_get_a_5xx()
    {
        var world = await ArrangeAsync();
        var random = new Random(Seed);
        for (var i = 0; i < Cases; i++)
        {
            var body = new JsonObject
            {
                ["traceId"] = random.Next(6) == 0 ? world.OtherTraceId : world.TraceId,
                ["dataId"] = Guid.CreateVersion7().ToString(),
                ["contentType"] = Pick(random, ["application/json", "text/plain; charset=utf-8", "application/octet-stream"]),
                ["size"] = random.Next(0, 64),
                ["sha256"] = Convert.ToHexStringLower(new byte[32]),
            };
            var bytes = MutateJson(body, random, ["traceId", "dataId", "contentType", "size", "sha256", "unknownField"]);
            var answer = await SendAsync(Request(HttpMethod.Post, "api/v1/presign", bytes, apiKey: world.Project.ApiKey), $"case {i}");
            if (answer is { Status: 200 }
                && await UploadOddlyAsync(JsonDocument.Parse(answer.Body).RootElement, random, $"case {i}: upload") is { Status: 201, Blob: { } blob })
            {
                await DownloadOddlyAsync(blob, world.Project.Owner.Token, random, $"case {i}: download");
            }
        }

        AssertBothOutcomes();
        await AssertStillServesAsync(world);
    }

    [Fact]
    public async Task Mutated_trace_list_queries_never_get_a_5xx()
    {
        var world = await ArrangeAsync();
        var random = new Random(Seed);
        for (var i = 0; i < Cases; i++)
        {
            var parameters = new List<(string Name, string? Value)>
            {
                ("status", Pick(random, ["running", "success", "failure"])),
                ("name", "competitor-search"),
                ("from", "2026-01-01T00:00:00Z"),
                ("to", "2099-01-01T00:00:00Z"),
                ("limit", random.Next(1, 201).ToString(CultureInfo.InvariantCulture)),
                ("cursor", world.Cursor),
            };
            parameters.RemoveAll(_ => random.Next(3) == 0);
            for (var m = random.Next(0, 3); m > 0; m--)
            {
                MutateQuery(parameters, random, world);
            }

            var query = string.Join('&', parameters.Select(p => p.Value is null ? p.Name : $"{p.Name}={p.Value}"));
            await SendAsync(Request(HttpMethod.Get, $"api/v1/projects/{world.Project.ProjectId}/traces?{query}", bearer: world.Project.Owner.Token), $"case {i}");
        }

        AssertBothOutcomes();
        await AssertStillServesAsync(world);
    }

    [Fact]
    public async Task Odd_ids_in_paths_never_get_a_5xx()
    {
        var world = await ArrangeAsync();
        var random = new Random(Seed);
        for (var i = 0; i < Cases; i++)
        {
            var project = OddId(random, world.Project.ProjectId, world.Other.ProjectId);
            var trace = OddId(random, world.TraceId, world.OtherTraceId);
            var data = OddId(random, world.DataId, world.OtherDataId);
            var key = OddId(random, world.SpareKeyId, world.Other.KeyId);
            var token = world.Project.Owner.Token;
            using var request = random.Next(11) switch
            {
                0 => Request(HttpMethod.Get, $"api/v1/traces/{trace}", bearer: token),
                1 => Request(HttpMethod.Get, $"api/v1/traces/{trace}/data/{data}", bearer: token),
                2 => Request(HttpMethod.Get, $"api/v1/projects/{project}/traces", bearer: token),
                3 => Request(HttpMethod.Get, $"api/v1/projects/{project}/{Pick(random, ["keys", "members"])}", bearer: token),
                4 => Request(HttpMethod.Post, $"api/v1/projects/{project}/keys", Json(new { name = "k" }), bearer: token),
                5 => Request(HttpMethod.Post, $"api/v1/projects/{project}/members", Json(new { email = world.Stranger.Email }), bearer: token),
                6 => Request(HttpMethod.Post, $"api/v1/projects/{project}/query", Json(new { filters = Array.Empty<object>() }), bearer: token),
                7 => Request(HttpMethod.Delete, $"api/v1/projects/{project}/keys/{key}", bearer: token),
                8 => Request(HttpMethod.Put, $"blobs/{project}/{trace}/{data}?{BlobQuery(random)}", Encoding.UTF8.GetBytes("{}")),
                9 => Request(HttpMethod.Get, $"blobs/{project}/{trace}/{data}?{BlobQuery(random)}"),
                _ => Request(HttpMethod.Get, $"api/v1/{Pick(random, ["traces", "projects", "blobs", "auth"])}/{OddId(random, trace, project)}", bearer: token),
            };
            await SendAsync(request, $"case {i}");
        }

        AssertBothOutcomes();
        await AssertStillServesAsync(world);
    }

    [Fact]
    public async Task Odd_headers_never_get_a_5xx()
    {
        var world = await ArrangeAsync();
        var random = new Random(Seed);
        var valid = new (HttpMethod Method, string Path, byte[]? Body, bool Key)[]
        {
            (HttpMethod.Post, "api/v1/auth/login", Json(new { email = world.Stranger.Email, password = Password }), false),
            (HttpMethod.Post, "api/v1/auth/register", Json(new { email = "taken@example.test", password = Password }), false),
            (HttpMethod.Get, "api/v1/auth/key", null, true),
            (HttpMethod.Get, "api/v1/projects", null, false),
            (HttpMethod.Post, "api/v1/projects", Json(new { name = "headers" }), false),
            (HttpMethod.Get, $"api/v1/projects/{world.Project.ProjectId}/keys", null, false),
            (HttpMethod.Post, $"api/v1/projects/{world.Project.ProjectId}/keys", Json(new { name = "headers" }), false),
            (HttpMethod.Delete, $"api/v1/projects/{world.Project.ProjectId}/keys/{world.SpareKeyId}", null, false),
            (HttpMethod.Get, $"api/v1/projects/{world.Project.ProjectId}/members", null, false),
            (HttpMethod.Post, $"api/v1/projects/{world.Project.ProjectId}/members", Json(new { email = world.Stranger.Email, role = "member" }), false),
            (HttpMethod.Post, "api/v1/presign", Json(new { traceId = world.TraceId, dataId = Guid.CreateVersion7(), contentType = "text/plain", size = 3 }), true),
            (HttpMethod.Post, "api/v1/ingest", Json(TraceEvents.Batch(new TraceEvents(world.Project.ProjectId).TraceStart())), true),
            (HttpMethod.Get, $"api/v1/projects/{world.Project.ProjectId}/traces?limit=5", null, false),
            (HttpMethod.Get, $"api/v1/traces/{world.TraceId}", null, false),
            (HttpMethod.Get, $"api/v1/traces/{world.TraceId}/data/{world.DataId}", null, false),
            (HttpMethod.Post, $"api/v1/projects/{world.Project.ProjectId}/query", Json(new { filters = new[] { new { field = "name", op = "eq", value = "filter" } } }), false),
            (HttpMethod.Get, "healthz", null, false),
        };
        for (var i = 0; i < Cases; i++)
        {
            var (method, path, body, key) = Pick(random, valid);
            if (random.Next(10) == 0)
            {
                method = Pick(random, [HttpMethod.Put, HttpMethod.Patch, HttpMethod.Options, new HttpMethod("FUZZ")]);
            }

            var bytes = body is not null && random.Next(5) == 0 ? MutateBytes(body, random) : body;
            using var request = Request(method, path, bytes, bearer: key ? null : world.Project.Owner.Token, apiKey: key ? world.Project.ApiKey : null);
            var changed = new List<string>();
            if (request.Content is not null && random.Next(2) == 0)
            {
                var contentType = Pick(random, OddContentTypes);
                request.Content.Headers.Remove("Content-Type");
                if (contentType.Length > 0)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                }

                changed.Add($"content-type '{contentType}'");
            }

            if (random.Next(2) == 0)
            {
                var value = OddCredential(random, world, bearer: false);
                request.Headers.Remove("x-api-key");
                if (value is not null)
                {
                    request.Headers.TryAddWithoutValidation("x-api-key", value);
                }

                changed.Add($"x-api-key '{Shorten(value ?? "(none)")}'");
            }

            if (random.Next(2) == 0)
            {
                var value = OddCredential(random, world, bearer: true);
                request.Headers.Remove("Authorization");
                if (value is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", value);
                }

                changed.Add($"authorization '{Shorten(value ?? "(none)")}'");
            }

            if (random.Next(4) == 0)
            {
                var accept = Pick(random, ["text/html", "application/xml", "text/*", "image/png, text/plain;q=0.5", "garbage", "*/*", "application/json", "application/problem+json"]);
                request.Headers.TryAddWithoutValidation("Accept", accept);
                changed.Add($"accept '{accept}'");
            }

            await SendAsync(request, $"case {i}: {string.Join(", ", changed)}");
        }

        AssertBothOutcomes();
        await AssertStillServesAsync(world);
    }

    /// <summary>Users, projects, keys, traces and data blobs for the requests to name, theirs and another project's.</summary>
    private sealed record World(TestProject Project, TestProject Other, TestUser Stranger, string TraceId, string DataId, string OtherTraceId, string OtherDataId, string SpareKeyId, string Cursor);

    private async Task<World> ArrangeAsync()
    {
        var project = await _client.CreateProjectWithKeyAsync(await _client.RegisterAndLoginAsync());
        var other = await _client.CreateProjectWithKeyAsync(await _client.RegisterAndLoginAsync());
        var stranger = await _client.RegisterAndLoginAsync();
        var (traceId, dataId) = await SeedTracesAsync(project);
        var (otherTraceId, otherDataId) = await SeedTracesAsync(other);
        using var spare = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Post, $"api/v1/projects/{project.ProjectId}/keys", project.Owner.Token, new { name = "spare" }), Ct);
        await XRayApi.EnsureAsync(spare, HttpStatusCode.Created);
        var spareKeyId = (await spare.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("keyId").GetString()!;
        using var page = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/projects/{project.ProjectId}/traces?limit=1", project.Owner.Token), Ct);
        await XRayApi.EnsureAsync(page, HttpStatusCode.OK);
        var cursor = (await page.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("nextCursor").GetString()!;
        return new World(project, other, stranger, traceId, dataId, otherTraceId, otherDataId, spareKeyId, cursor);
    }

    /// <summary>Two traces with a step each, and a data blob announced for the first; read back, so all of it is applied.</summary>
    private async Task<(string TraceId, string DataId)> SeedTracesAsync(TestProject project)
    {
        var first = new TraceEvents(project.ProjectId);
        var second = new TraceEvents(project.ProjectId) { Start = first.Start.AddSeconds(1) };
        using (var ingest = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", project.ApiKey,
            TraceEvents.Batch(first.TraceStart(), first.Step(1), first.Success(), second.TraceStart(), second.Step(1))), Ct))
        {
            await XRayApi.EnsureAsync(ingest, HttpStatusCode.Accepted);
        }

        var dataId = Guid.CreateVersion7().ToString();
        using (var presign = await _client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/presign", project.ApiKey,
            new { traceId = first.TraceId, dataId, contentType = "application/json", size = 2 }), Ct))
        {
            await XRayApi.EnsureAsync(presign, HttpStatusCode.OK);
        }

        using (var read = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{first.TraceId}", project.Owner.Token), Ct))
        {
            await XRayApi.EnsureAsync(read, HttpStatusCode.OK);
        }

        return (first.TraceId, dataId);
    }

    private sealed record Answer(int Status, string Body, string? Blob = null);

    /// <summary>Sends one request and checks the answer: never a 5xx, and every 4xx a problem that names what was wrong.</summary>
    private async Task<Answer> SendAsync(HttpRequestMessage request, string what)
    {
        var body = request.Content is null ? string.Empty : $"\n{request.Content.Headers.ContentType} {Shorten(Encoding.UTF8.GetString(await request.Content.ReadAsByteArrayAsync(Ct)))}";
        var sent = $"{request.Method} {Shorten(request.RequestUri!.PathAndQuery)} ({what}){body}";
        using var response = await _client.SendAsync(request, Ct);
        var status = (int)response.StatusCode;
        _statuses[status] = _statuses.GetValueOrDefault(status) + 1;
        var answer = await response.Content.ReadAsStringAsync(Ct);
        var context = $"seed {Seed}, {sent}\n→ {status} {Shorten(answer)}";
        Assert.True(status < 500, $"{context}\n{fixture.Gateway.Output[^Math.Min(4000, fixture.Gateway.Output.Length)..]}");
        if (status >= 400)
        {
            ProblemAnswers.AssertProblem(response, status, answer, context);
        }

        return new Answer(status, answer);
    }

    /// <summary>The test reaches both sides: some mutated requests still succeed, some are refused.</summary>
    private void AssertBothOutcomes()
    {
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join(", ", _statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(_statuses.Keys.Any(s => s < 300), "no mutated request succeeded: the mutations are too coarse to reach the endpoints' own checks");
        Assert.True(_statuses.Keys.Any(s => s >= 400), "no mutated request was refused: the mutations are too mild");
    }

    /// <summary>The server is unharmed: it takes a trace and serves it whole.</summary>
    private async Task AssertStillServesAsync(World world)
    {
        var trace = new TraceEvents(world.Project.ProjectId);
        using (var ingest = await fixture.Client.SendAsync(XRayApi.WithKey(HttpMethod.Post, "api/v1/ingest", world.Project.ApiKey, TraceEvents.Batch(trace.TraceStart(), trace.Step(1))), Ct))
        {
            await XRayApi.EnsureAsync(ingest, HttpStatusCode.Accepted);
        }

        using var read = await fixture.Client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{trace.TraceId}", world.Project.Owner.Token), Ct);
        await XRayApi.EnsureAsync(read, HttpStatusCode.OK);
        Assert.Single((await read.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("steps").EnumerateArray());
    }

    /// <summary>
    /// A request sent exactly as written: the URI is not canonicalized, so invalid percent-encoding reaches the server
    /// as it would from a careless client.
    /// </summary>
    private HttpRequestMessage Request(HttpMethod method, string pathAndQuery, byte[]? body = null, string? bearer = null, string? apiKey = null)
    {
        var uri = new Uri(_client.BaseAddress + pathAndQuery, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (apiKey is not null)
        {
            request.Headers.Add("x-api-key", apiKey);
        }

        return request;
    }

    private static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value, XRayApi.Json);

    /// <summary>Up to two mutations, structural or an odd value the binder takes, and now and then the bytes mangled.</summary>
    private static byte[] MutateJson(JsonObject body, Random random, string[] names)
    {
        for (var m = random.Next(0, 3); m > 0; m--)
        {
            if (random.Next(2) == 0 && body.Count > 0)
            {
                body[body.ElementAt(random.Next(body.Count)).Key] = Pick(random, OddScalars).DeepClone();
            }
            else
            {
                MutateAnywhere(body, random, names);
            }
        }

        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        return random.Next(5) == 0 ? MutateBytes(bytes, random) : bytes;
    }

    /// <summary>A valid id, another project's, or one mangled: cut, over-long, case-changed or with percent-encoded garbage.</summary>
    private static string OddId(Random random, string own, string others)
    {
        var id = random.Next(4) == 0 ? others : own;
        return random.Next(10) switch
        {
            < 3 => id,
            3 => id[..random.Next(id.Length)],
            4 => string.Concat(Enumerable.Repeat(id, Pick(random, [2, 10, 100, 200]))), // up to ~12 KB: over Kestrel's request line limit
            5 => id.ToUpperInvariant(),
            6 => id.Insert(random.Next(id.Length), Pick(random, OddText)),
            7 => Pick(random, OddText) + id,
            8 => Pick(random, OddText),
            _ => id + Pick(random, OddText),
        };
    }

    /// <summary>A query string like the local store's signed URLs: missing, odd, repeated or forged parameters.</summary>
    private static string BlobQuery(Random random)
    {
        var parameters = new List<(string Name, string Value)>
        {
            ("exp", Pick(random, ["4102444800", "1", "-1", "99999999999999999999", "%FF", ""])),
            ("max", Pick(random, ["2", "0", "-1", "99999999999999999999", "1e3"])),
            ("ct", Pick(random, ["application%2Fjson", "", "%ED%A0%80", "a%0Ab"])),
            ("sig", Pick(random, [Base64Url.EncodeToString(new byte[32]), "", "%FF", "AAAA", new string('A', 5000), "+/=="])),
        };
        parameters.RemoveAll(_ => random.Next(5) == 0);
        if (parameters.Count > 0 && random.Next(3) == 0)
        {
            parameters.Add(parameters[random.Next(parameters.Count)]); // repeated
        }

        return string.Join('&', parameters.Select(p => $"{p.Name}={p.Value}"));
    }

    private static void MutateQuery(List<(string Name, string? Value)> parameters, Random random, World world)
    {
        var index = parameters.Count > 0 ? random.Next(parameters.Count) : -1;
        switch (random.Next(7))
        {
            case 0 when index >= 0: // an odd value
                parameters[index] = (parameters[index].Name, OddQueryValue(parameters[index].Name, random, world));
                break;
            case 1 when index >= 0: // repeated, with the same or another value
                parameters.Insert(random.Next(parameters.Count + 1), (parameters[index].Name, random.Next(2) == 0 ? parameters[index].Value : OddQueryValue(parameters[index].Name, random, world)));
                break;
            case 2 when index >= 0 && parameters[index].Name.Length > 0: // the name percent-encoded, cased or broken
                var name = parameters[index].Name;
                parameters[index] = (Pick(random, [$"%{(int)name[0]:X2}{name[1..]}", name.ToUpperInvariant(), name + "%00", name + "[]", "%FF" + name, ""]), parameters[index].Value);
                break;
            case 3: // an unknown parameter, a bare name, or empty pairs
                parameters.Add(Pick<(string, string?)>(random, [("unknown", "1"), ("unknown", null), ("=", "="), ("", ""), ("&&", "&"), ("status", "%26limit%3D1000")]));
                break;
            default: // a known parameter with an odd value
                var known = Pick(random, ["status", "name", "from", "to", "limit", "cursor"]);
                parameters.Add((known, OddQueryValue(known, random, world)));
                break;
        }
    }

    private static string OddQueryValue(string name, Random random, World world) => random.Next(10) switch
    {
        < 3 => Pick(random, OddText),
        3 => new string('x', Pick(random, [201, 5000, 201, 9000])),
        _ => name switch
        {
            "from" or "to" => Pick(random, OddTimes),
            "limit" => Pick(random, ["0", "1", "200", "201", "2147483647", "2147483648", "-2147483649", " 5", "5.0", "%2B5", "0005", "%D9%A5"]),
            "cursor" => OddCursor(random, world),
            "status" => Pick(random, ["running", "RUNNING", "success,failure", "%20success", "failure%00"]),
            _ => Pick(random, ["competitor-search", "%25", "%5C", "%27%20OR%201%3D1--", "%E2%80%AE"]),
        },
    };

    /// <summary>Cursors this API never returned: other projects' traces, extreme times, ids of the wrong shape, invalid base64 or UTF-8.</summary>
    private static string OddCursor(Random random, World world)
    {
        var startedAt = Pick(random, [long.MaxValue, long.MinValue, 0L, -1L, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()]);
        var id = Pick(random, [world.TraceId, world.OtherTraceId, world.TraceId.ToUpperInvariant(), "", "x", world.DataId]);
        byte[] text = random.Next(4) == 0 ? [0xFF, 0x3A, 0xED, 0xA0, 0x80] : Encoding.UTF8.GetBytes($"{startedAt}:{id}");
        return random.Next(5) switch
        {
            0 => world.Cursor + Pick(random, ["=", "A", "%3D", "!"]),
            1 => Convert.ToBase64String(text), // with padding and '+' or '/'
            2 => world.Cursor[..random.Next(world.Cursor.Length)],
            _ => Base64Url.EncodeToString(text),
        };
    }

    private static string? OddCredential(Random random, World world, bool bearer)
    {
        var token = world.Project.Owner.Token;
        var now = DateTimeOffset.UtcNow;
        var odd = Pick<string?>(random,
        [
            null, "", " ", "é", "xray_é", "xray_" + new string('A', 43), "xray_" + new string('é', 43), new string('k', 8000), new string('k', 40000),
            world.Project.ApiKey + "x", world.Project.ApiKey.ToUpperInvariant(), world.Other.ApiKey, world.Project.ApiKey + ", " + world.Other.ApiKey,
            "\u0000", "日本語のキー",
        ]);
        if (!bearer)
        {
            return random.Next(4) == 0 ? world.Project.ApiKey : odd;
        }

        return random.Next(8) switch
        {
            0 => "Bearer " + token,
            1 => "bearer " + token,
            2 => "Bearer " + Tokens.Sign(new { alg = "HS256", typ = "JWT" }, new { iss = "xray", aud = "xray-api", exp = now.AddHours(1).ToUnixTimeSeconds() }, Tokens.GatewayKey), // no subject
            3 => "Bearer " + Tokens.Sign(new { alg = "HS256", typ = "JWT" }, Tokens.Claims(Pick(random, ["", "x", "é", new string('s', 5000)]), now.AddHours(1)), Tokens.GatewayKey),
            4 when random.Next(2) == 0 => "Bearer " + Tokens.Sign(Pick<object>(random, [new { alg = "HS256" }, new { alg = "HS256", kid = "é", crit = new[] { "x" } }, new { typ = "JWT" }, new { alg = 1 }]),
                Pick<object>(random,
                [
                    new { sub = "x", iss = "xray", aud = "xray-api", exp = "tomorrow" },
                    new { sub = "x", iss = "xray", aud = "xray-api", exp = 1e300 },
                    new { sub = "x", iss = "xray", aud = new[] { "xray-api", "other" }, exp = now.AddHours(1).ToUnixTimeSeconds(), nbf = long.MaxValue },
                    new { sub = new { id = 1 }, iss = 7, aud = "xray-api", exp = now.AddHours(1).ToUnixTimeSeconds(), iat = -1 },
                    Array.Empty<object>(),
                ]),
                Tokens.GatewayKey),
            4 => "Bearer " + token[..random.Next(token.Length)],
            5 => Pick(random, ["Bearer", "Bearer ", "Basic Zm9vOmJhcg==", $"Bearer {token}, Bearer {token}", "Bearer a.b.c", "Bearer ...", "Bearer e30.e30.e30"]),
            _ => odd is null ? null : "Bearer " + odd,
        };
    }

    /// <summary>Uploads to a presigned URL with its signature, size, content type or body now and then wrong.</summary>
    private async Task<Answer> UploadOddlyAsync(JsonElement presigned, Random random, string what)
    {
        var url = presigned.GetProperty("url").GetString()!;
        var contentType = presigned.GetProperty("headers").GetProperty("content-type").GetString()!;
        var size = int.Parse(url.Split("max=")[1].Split('&')[0], CultureInfo.InvariantCulture);
        var body = new byte[random.Next(4) == 0 ? Math.Max(0, size + random.Next(-1, 2)) : size];
        switch (random.Next(5))
        {
            case 0:
                url = url.Replace("sig=", "sig=" + Pick(random, ["A", "%FF", "%00"]), StringComparison.Ordinal);
                break;
            case 1:
                url = url.Replace("max=", "max=1", StringComparison.Ordinal);
                break;
            case 2:
                contentType = Pick(random, ["", "text/plain", "application/json; charset=garbage"]);
                break;
        }

        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(url, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }))
        {
            Content = new ByteArrayContent(body),
        };
        if (contentType.Length > 0)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        var blob = new Uri(url).AbsolutePath; // /blobs/{projectId}/{traceId}/{dataId}
        return await SendAsync(request, what) with { Blob = blob };
    }

    /// <summary>Asks for an uploaded blob's download URL, then downloads it with odd ranges, conditions or query.</summary>
    private async Task DownloadOddlyAsync(string blob, string token, Random random, string what)
    {
        var parts = blob.Split('/');
        using (var fence = await _client.SendAsync(XRayApi.Authorized(HttpMethod.Get, $"api/v1/traces/{parts[3]}", token), Ct))
        {
            await XRayApi.EnsureAsync(fence, HttpStatusCode.OK); // waits until the blob's data event is applied
        }

        var data = await SendAsync(Request(HttpMethod.Get, $"api/v1/traces/{parts[3]}/data/{parts[4]}", bearer: token), what);
        if (data.Status != 200)
        {
            return; // not applied yet: a 404 problem, checked like any answer
        }

        var url = JsonDocument.Parse(data.Body).RootElement.GetProperty("url").GetString()!;
        if (random.Next(4) == 0)
        {
            url = url.Replace(Pick(random, ["ct=", "exp=", "sig="]), Pick(random, ["ct=%FF", "exp=1", "sig=%ED%A0%80", "ct=a&ct="]), StringComparison.Ordinal);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }));
        var header = Pick(random, ["Range", "Range", "If-Range", "If-None-Match", "If-Match", "If-Modified-Since", "If-Unmodified-Since"]);
        var value = Pick(random,
        [
            "bytes=0-0", "bytes=1-", "bytes=-1", "bytes=5-1", "bytes=999999999999999999999-", "bytes=-0", "bytes=0-0,1-1,0-", "bytes=", "items=0-1",
            "bytes=0-18446744073709551616", "*", "\"x\"", "W/\"x\"", "Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "not a date", "é",
        ]);
        request.Headers.TryAddWithoutValidation(header, value);
        await SendAsync(request, $"{what}: {header}: {value}");
    }
}
