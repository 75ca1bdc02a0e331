using System.Buffers;
using System.IO.Pipelines;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Gateway.Errors;

namespace Gateway.Streaming;

/// <summary>
/// The one path a streamed answer takes to the caller. Its events come from a provider's event stream, read by
/// the one parser (<see cref="RelayAsync"/>), or from the gateway's own writers (a translated or mock answer,
/// <see cref="WriteJson"/>); each is read once into <see cref="ChunkFacts"/>, goes through the chain of
/// <see cref="IChunkStage"/>s in order (the meter, then the guard) as a span of the parser's buffer, and is framed
/// for the caller by <see cref="SseWriting"/> straight into the response's pipe. Nothing is copied unless a stage
/// rewrites it; the pipe is flushed before each read of the provider's stream, so the events of one read go out
/// together and none waits for the next read.
/// A provider's events are checked on the way (see <see cref="RelayAsync"/>), with stages or without.
/// </summary>
/// <remarks>
/// A provider's SSE comments are keep-alives: a read that brought one and no event sends the caller a comment of
/// its own (<c>:</c>), so silences stay covered; their text, and <c>id:</c> fields, are not kept (no inference API
/// uses them).
/// </remarks>
internal sealed class StreamRelay
{
    private readonly PipeWriter _client;
    private readonly IChunkStage[] _stages;
    private readonly ChunkFacts _facts = new();
    private readonly SseItemParser<bool> _parse;
    private readonly Func<CancellationToken, ValueTask> _beforeRead;
    private readonly Action _onComment;
    private Func<GatewayError>? _malformed;
    private GatewayError? _endedWith;
    private ArrayBufferWriter<byte>? _first;
    private ArrayBufferWriter<byte>? _second;
    private ArrayBufferWriter<byte>? _own;
    private bool _started;
    private bool _unflushed;
    private bool _ended;
    private bool _commentSeen;
    private bool _keptAlive;

    public StreamRelay(PipeWriter client, IChunkStage[] stages)
    {
        _client = client;
        _stages = stages;
        _parse = (eventType, data) =>
        {
            WriteProviderEvent(data, eventType);
            return true;
        };
        _beforeRead = FlushPendingAsync;
        _onComment = () => _commentSeen = true;
    }

    private static ReadOnlySpan<byte> KeepAlive => ":\n\n"u8;

    /// <summary>
    /// Relays a provider's event stream that is already in the caller's format, to its end. Every event must be
    /// <c>[DONE]</c> or one whole JSON object: the first that is neither never reaches the caller. The stream ends
    /// there with <paramref name="malformed"/>'s error instead (the stages see it as an error chunk), and nothing
    /// after it is read. SDKs then raise a clear error rather than a parser's. When it is the very first event and
    /// nothing at all has gone to the caller, no error event is written: the result says so, and the attempt can
    /// fail as if the provider had answered with an error (a retry or a fallback may still answer).
    /// </summary>
    public async ValueTask<RelayResult> RelayAsync(Stream upstream, Func<GatewayError> malformed, CancellationToken cancellationToken)
    {
        _malformed = malformed;
        _endedWith = null;
        try
        {
            await foreach (var _ in SseReading.Parse(upstream, _parse, _beforeRead, _onComment).EnumerateAsync(cancellationToken))
            {
                if (_endedWith is not null)
                {
                    break;
                }
            }

            if (_started || _keptAlive)
            {
                await FlushAsync(cancellationToken);
            }

            return new RelayResult(CallerGone: false, _endedWith, BeforeStart: _endedWith is not null && !_started && !_keptAlive);
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException && cancellationToken.IsCancellationRequested)
        {
            return new RelayResult(CallerGone: true, _endedWith);
        }
    }

    private void WriteProviderEvent(ReadOnlySpan<byte> data, string eventType)
    {
        if (_endedWith is not null)
        {
            return; // the stream has ended: what the parser still had goes nowhere
        }

        if (data.Trim(" \t\r\n"u8).IsEmpty)
        {
            _commentSeen = true; // an empty event carries nothing: a keep-alive
            return;
        }

        _facts.Read(data);
        if (_facts.Kind != ChunkKind.Other)
        {
            Write(data, eventType, read: true);
            return;
        }

        _endedWith = _malformed!();
        if (_started || _keptAlive)
        {
            Write(ErrorResponseWriter.Serialize(_endedWith));
        }
    }

    /// <summary>One event the gateway writes itself, its data compact JSON; serialised straight into the pipe when no stage must see it.</summary>
    public void WriteJson<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        if (_stages.Length == 0)
        {
            SseWriting.WriteJsonEvent(_client, state, write);
            _started = _unflushed = true;
            return;
        }

        var own = _own ??= new ArrayBufferWriter<byte>(1024);
        own.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(own, GatewayJson.WriterOptions))
        {
            write(json, state);
        }

        Write(own.WrittenSpan);
    }

    /// <summary>The event a successful stream ends with.</summary>
    public void WriteDone() => Write("[DONE]"u8);

    /// <summary>The error event that ends a stream which broke off, in OpenAI's error shape.</summary>
    public void WriteError(GatewayError error) => Write(ErrorResponseWriter.Serialize(error));

    /// <summary>One event through the chain to the caller (not flushed yet).</summary>
    public void Write(ReadOnlySpan<byte> data, string? eventType = null) => Write(data, eventType, read: false);

    /// <param name="read">The facts already hold this event's reading.</param>
    private void Write(ReadOnlySpan<byte> data, string? eventType, bool read)
    {
        _started = true;
        var current = data;
        var useFirst = true;
        foreach (var stage in _stages)
        {
            if (!read)
            {
                _facts.Read(current);
                read = true;
            }

            // Two buffers in turn: a stage reads the last rewrite while it writes its own.
            var scratch = useFirst ? _first ??= new ArrayBufferWriter<byte>(1024) : _second ??= new ArrayBufferWriter<byte>(1024);
            scratch.ResetWrittenCount();
            var verdict = stage.OnChunk(current, _facts, _client, scratch);
            _unflushed = true; // the stage may have written events of its own
            if (verdict == ChunkVerdict.Drop)
            {
                return;
            }

            if (verdict == ChunkVerdict.Rewritten)
            {
                current = scratch.WrittenSpan;
                useFirst = !useFirst;
                read = false; // read again only if a later stage is to see it
            }
        }

        SseWriting.WriteEvent(_client, current, eventType);
        _unflushed = true;
    }

    public ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken)
    {
        _unflushed = false;
        return _client.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Ends the stream with <paramref name="error"/> when the relay itself failed (a bug): the error event goes
    /// straight to the caller, past the stages, and nothing more follows.
    /// </summary>
    public async ValueTask FailAsync(GatewayError error, CancellationToken cancellationToken)
    {
        _ended = true;
        SseWriting.WriteErrorEvent(_client, error);
        await FlushAsync(cancellationToken);
    }

    /// <summary>The answer has ended: each stage's held text goes out, and the pipe is flushed. Once only; nothing for an answer that was no stream.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_ended || !_started)
        {
            return;
        }

        _ended = true;
        foreach (var stage in _stages)
        {
            stage.OnEnd(_client);
            _unflushed = true;
        }

        if (_unflushed)
        {
            await FlushAsync(cancellationToken);
        }
    }

    private async ValueTask FlushPendingAsync(CancellationToken cancellationToken)
    {
        if (_commentSeen && !_unflushed)
        {
            // The provider's keep-alive, and nothing else since the last send: the caller gets one too, so a long
            // pause (a model thinking) does not look idle to its proxies and timeouts.
            _client.Write(KeepAlive);
            _unflushed = _keptAlive = true;
        }

        _commentSeen = false;
        if (_unflushed)
        {
            var flushed = await FlushAsync(cancellationToken);
            if (flushed.IsCanceled)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }
    }
}

/// <summary>How a relayed provider stream ended: the caller gone, or the error the relay ended it with (an event that was not JSON).</summary>
/// <param name="BeforeStart">The error came before anything went to the caller, and was not written.</param>
internal readonly record struct RelayResult(bool CallerGone, GatewayError? EndedWith, bool BeforeStart = false);
