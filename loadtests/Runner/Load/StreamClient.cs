using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace LoadTests.Runner.Load;

/// <summary>
/// The part wrk cannot do: time to the first streamed byte, the spread from first to last chunk, and
/// thousands of streams held open at once. One HTTP/1.1 connection per stream, as SDKs use.
/// </summary>
internal sealed class StreamClient : IDisposable
{
    private readonly HttpClient _client = new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = int.MaxValue,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        ConnectTimeout = TimeSpan.FromSeconds(15),
    })
    { Timeout = TimeSpan.FromSeconds(120) };

    private long _sent;

    public void Dispose() => _client.Dispose();

    /// <summary>Streams back to back from <paramref name="workers"/> callers for <paramref name="duration"/>.</summary>
    public async Task<StreamTimings> MeasureAsync(Uri url, byte[] body, IReadOnlyDictionary<string, string> headers,
        int workers, TimeSpan duration, int expectedEvents, CancellationToken cancellationToken)
    {
        var firstByte = new List<double>();
        var spread = new List<double>();
        var failures = 0;
        var gate = new Lock();
        var clock = Stopwatch.StartNew();

        async Task WorkerAsync()
        {
            var buffer = new byte[16 * 1024];
            while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await _client.SendAsync(Request(url, body, headers), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                    await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                    long first = 0, last = 0;
                    var events = 0;
                    var tail = 0; // bytes of "\n\n" matched across reads, to count events
                    int read;
                    while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        last = Stopwatch.GetTimestamp();
                        if (first == 0)
                        {
                            first = last;
                        }

                        events += CountEventEnds(buffer.AsSpan(0, read), ref tail);
                    }

                    if (!response.IsSuccessStatusCode || events < expectedEvents)
                    {
                        Interlocked.Increment(ref failures);
                        continue;
                    }

                    lock (gate)
                    {
                        firstByte.Add(Stopwatch.GetElapsedTime(started, first).TotalMicroseconds);
                        spread.Add(Stopwatch.GetElapsedTime(first, last).TotalMicroseconds);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(WorkerAsync, cancellationToken)));
        return new StreamTimings(firstByte.Count, failures, Percentiles.Of(firstByte), Percentiles.Of(spread));
    }

    /// <summary>
    /// Opens <paramref name="count"/> streams and keeps each one open once its first chunk has arrived. The
    /// caller measures memory while they are open, then releases the upstream and disposes the result.
    /// </summary>
    public async Task<OpenStreams> OpenAsync(Uri url, byte[] body, IReadOnlyDictionary<string, string> headers,
        int count, int openingConcurrency, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(timeout);
        var opening = new SemaphoreSlim(openingConcurrency);
        var open = new OpenStreams();

        async Task OpenOneAsync()
        {
            await opening.WaitAsync(bound.Token);
            try
            {
                var response = await _client.SendAsync(Request(url, body, headers), HttpCompletionOption.ResponseHeadersRead, bound.Token);
                var stream = await response.Content.ReadAsStreamAsync(bound.Token);
                var first = new byte[4096];
                if (response.IsSuccessStatusCode && await stream.ReadAsync(first, bound.Token) > 0)
                {
                    open.Add(response, stream);
                }
                else
                {
                    response.Dispose();
                    open.Failed();
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
            {
                open.Failed();
            }
            finally
            {
                opening.Release();
            }
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, count).Select(_ => OpenOneAsync()));
        }
        catch (OperationCanceledException)
        {
            // Counted as failures above; the caller reports how many opened.
        }

        return open;
    }

    private HttpRequestMessage Request(Uri url, byte[] body, IReadOnlyDictionary<string, string> headers)
    {
        var numbered = Payloads.Numbered(body, Interlocked.Increment(ref _sent));
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(numbered), Version = HttpVersion.Version11 };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    /// <summary>Counts SSE event terminators ("\n\n"); <paramref name="pendingNewline"/> carries a trailing '\n' into the next read.</summary>
    internal static int CountEventEnds(ReadOnlySpan<byte> data, ref int pendingNewline)
    {
        var events = 0;
        foreach (var b in data)
        {
            if (b == (byte)'\n')
            {
                if (pendingNewline == 1)
                {
                    events++;
                    pendingNewline = 0;
                }
                else
                {
                    pendingNewline = 1;
                }
            }
            else if (b != (byte)'\r')
            {
                pendingNewline = 0;
            }
        }

        return events;
    }
}

internal sealed record StreamTimings(int Streams, int Failures, Percentiles FirstByte, Percentiles Spread);

/// <summary>Streams held open by <see cref="StreamClient.OpenAsync"/>; disposing closes them all.</summary>
internal sealed class OpenStreams : IAsyncDisposable
{
    private readonly List<(HttpResponseMessage Response, Stream Body)> _streams = [];
    private readonly Lock _gate = new();
    private int _failed;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _streams.Count;
            }
        }
    }

    public int FailedCount => Volatile.Read(ref _failed);

    public void Add(HttpResponseMessage response, Stream body)
    {
        lock (_gate)
        {
            _streams.Add((response, body));
        }
    }

    public void Failed() => Interlocked.Increment(ref _failed);

    /// <summary>Reads every stream to its end (after the upstream is released), then closes them.</summary>
    public async Task<int> DrainAsync(TimeSpan timeout)
    {
        using var bound = new CancellationTokenSource(timeout);
        var completed = 0;
        await Task.WhenAll(_streams.Select(async s =>
        {
            try
            {
                await s.Body.CopyToAsync(Stream.Null, bound.Token);
                Interlocked.Increment(ref completed);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
            {
                // Reported as incomplete.
            }
        }));
        return completed;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (response, body) in _streams)
        {
            await body.DisposeAsync();
            response.Dispose();
        }
    }
}
