using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using XRay.Testing;

namespace XRay.Sdk.Tests.Fakes;

/// <summary>What the proxy does with the next request.</summary>
public enum Fault
{
    None,
    ServerError,
    Unavailable,
    TooManyRequests,
    Hang,
}

/// <summary>
/// A reverse proxy (Kestrel) in front of a gateway that can be told to refuse connections (stop listening),
/// answer 500, 503, or 429 with <c>Retry-After</c>, or hang, so tests drive the real server through real faults.
/// Every request it sees (forwarded or failed) is counted.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly Uri _target;
    private readonly HttpClient _forward = new() { Timeout = TimeSpan.FromSeconds(30) };
    private WebApplication? _app;
    private int _faultsLeft;
    private int _requests;
    private int _faulted;

    private FaultProxy(Uri target, int port)
    {
        _target = target;
        Port = port;
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public Fault Fault { get; private set; }

    public int RetryAfterSeconds { get; set; } = 1;

    public int Requests => Volatile.Read(ref _requests);

    public int FaultedRequests => Volatile.Read(ref _faulted);

    public static async Task<FaultProxy> StartAsync(Uri target)
    {
        var proxy = new FaultProxy(target, FreePorts.Next());
        await proxy.ListenAsync();
        return proxy;
    }

    /// <summary>Fails the next <paramref name="count"/> requests with <paramref name="fault"/> (all of them when null).</summary>
    public void Inject(Fault fault, int? count = null)
    {
        Fault = fault;
        Volatile.Write(ref _faultsLeft, count ?? int.MaxValue);
    }

    public void Heal() => Inject(Fault.None, 0);

    /// <summary>Stops listening: connections are refused until <see cref="ListenAsync"/>.</summary>
    public async Task RefuseAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async Task ListenAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(BaseAddress.ToString());
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        _app = app;
    }

    public async ValueTask DisposeAsync()
    {
        await RefuseAsync();
        _forward.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        if (Fault != Fault.None && Interlocked.Decrement(ref _faultsLeft) >= 0)
        {
            Interlocked.Increment(ref _faulted);
            switch (Fault)
            {
                case Fault.ServerError:
                    context.Response.StatusCode = 500;
                    return;
                case Fault.Unavailable:
                    context.Response.StatusCode = 503;
                    return;
                case Fault.TooManyRequests:
                    context.Response.StatusCode = 429;
                    context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return;
                case Fault.Hang:
                    await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    return;
            }
        }

        await ForwardAsync(context);
    }

    private async Task ForwardAsync(HttpContext context)
    {
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(_target, context.Request.Path.Value!.TrimStart('/') + context.Request.QueryString));
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        request.Content = new ByteArrayContent(body.ToArray());
        foreach (var (name, values) in context.Request.Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                request.Content.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        using var response = await _forward.SendAsync(request, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        await response.Content.CopyToAsync(context.Response.Body);
    }
}
