using System.Buffers;
using System.IO.Pipelines;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Gateway.Errors;

namespace Gateway.Streaming;

/// <summary>
/// The one path a streamed answer takes to the caller. Its events come from a provider's event stream, read by
/// the one parser (<see cref="RelayAsync"/>), or from the gateway's own writers (a translated or mock answer,
/// <see cref="WriteJson"/>); each is read once into <see cref="ChunkFacts"/> and goes through the chain of
/// <see cref="IChunkStage"/>s in order (the meter, then the guard) as a span of the parser's buffer, and is framed for the caller by <see cref="SseWriting"/> straight
/// into the response's pipe. Nothing is copied unless a stage rewrites it; the pipe is flushed before each
/// read of the provider's stream, so the events of one read go out together and none waits for the next read.
/// With no stages, an OpenAI-format stream is not relayed here at all (YARP copies it as it is).
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
    private ArrayBufferWriter<byte>? _first;
    private ArrayBufferWriter<byte>? _second;
    private ArrayBufferWriter<byte>? _own;
    private bool _started;
    private bool _unflushed;
    private bool _ended;
    private bool _commentSeen;

    public StreamRelay(PipeWriter client, IChunkStage[] stages)
    {
        _client = client;
        _stages = stages;
        _parse = (eventType, data) =>
        {
            Write(data, eventType);
            return true;
        };
        _beforeRead = FlushPendingAsync;
        _onComment = () => _commentSeen = true;
    }

    private readonly Action _onComment;

    /// <summary>Whether any stage watches the answer (else a provider's stream in the caller's format needs no relay).</summary>
    public bool HasStages => _stages.Length > 0;

    private static ReadOnlySpan<byte> KeepAlive => ":\n\n"u8;

    /// <summary>
    /// Relays a provider's event stream that is already in the caller's format, to its end. False when the caller
    /// went away meanwhile (the relay stops there).
    /// </summary>
    public async ValueTask<bool> RelayAsync(Stream upstream, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in SseReading.Parse(upstream, _parse, _beforeRead, _onComment).EnumerateAsync(cancellationToken))
            {
            }

            await FlushAsync(cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException && cancellationToken.IsCancellationRequested)
        {
            return false;
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
    public void Write(ReadOnlySpan<byte> data, string? eventType = null)
    {
        _started = true;
        var current = data;
        var useFirst = true;
        var read = false;
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
            _unflushed = true;
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
