using System.Text;
using FakeProviders.OpenAi;
using Gateway.Providers.Upstream;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Providers.Upstream;

/// <summary>The attempt's first-byte and idle timeouts run on the gateway's clock: a fake one here, moved by the test.</summary>
public sealed class UpstreamTimeoutTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));

    private static UpstreamAttempt Attempt(bool relayed = false) =>
        new("openai", "gpt-4o-mini", new AttemptTimeouts(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5))) { Relayed = relayed };

    [Fact]
    public async Task A_provider_that_sends_no_headers_times_out_when_the_clock_passes_the_first_byte_limit()
    {
        await using var upstream = await FakeOpenAiServer.StartAsync();
        upstream.Enqueue(new Fault.Hang());
        using var invoker = new UpstreamInvoker(_clock);
        using var request = new HttpRequestMessage(HttpMethod.Post, upstream.BaseUrl + "/chat/completions") { Content = new StringContent("{}") };
        // With the upstream's key: without it the fake answers 401 at once and there is nothing to time out.
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", upstream.ApiKey);
        request.Options.Set(UpstreamAttempt.OptionKey, Attempt());

        var sending = invoker.Invoker.SendAsync(request, CancellationToken.None);
        // Connected and sent (on a busy machine that can take a while): only the first-byte limit is running now.
        await upstream.FirstRequest.WaitAsync(TimeSpan.FromSeconds(30));
        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(sending.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(1));

        var timeout = await Assert.ThrowsAsync<UpstreamTimeoutException>(() => sending.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(("response", TimeSpan.FromSeconds(30)), (timeout.Phase, timeout.Limit));
    }

    [Fact]
    public async Task A_read_pending_past_the_idle_limit_fails_with_a_timeout_and_a_shorter_wait_does_not()
    {
        using var watch = new BodyWatch(_clock);
        var provider = new SilentStream();
        await using var body = new WatchedBodyStream(provider, Attempt(), eventStream: false, watch);

        var reading = body.ReadAsync(new byte[64]).AsTask();
        _clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(reading.IsCompleted);
        _clock.Advance(BodyWatch.Period);

        var timeout = await Assert.ThrowsAsync<UpstreamTimeoutException>(() => reading.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(("data", TimeSpan.FromSeconds(5)), (timeout.Phase, timeout.Limit));
    }

    [Fact]
    public async Task A_relayed_event_stream_that_goes_quiet_ends_with_an_openai_error_event()
    {
        using var watch = new BodyWatch(_clock);
        var attempt = Attempt(relayed: true);
        await using var body = new WatchedBodyStream(new SilentStream(), attempt, eventStream: true, watch);

        var buffer = new byte[4096];
        var reading = body.ReadAsync(buffer).AsTask();
        _clock.Advance(TimeSpan.FromSeconds(5) + BodyWatch.Period);
        var read = await reading.WaitAsync(TimeSpan.FromSeconds(30));

        var text = Encoding.UTF8.GetString(buffer, 0, read);
        Assert.StartsWith("data: {\"error\":", text, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"upstream_timeout\"", text, StringComparison.Ordinal);
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        Assert.Equal("upstream_timeout", attempt.BrokenStream?.Code);
    }

    /// <summary>A provider's body that sends nothing: a read waits until the stream is closed under it.</summary>
    private sealed class SilentStream : Stream
    {
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _closed.Task.WaitAsync(cancellationToken);
            throw new ObjectDisposedException(nameof(SilentStream));
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _closed.TrySetResult();
            base.Dispose(disposing);
        }
    }
}
