using System.Buffers;
using System.Diagnostics;
using Gateway.Core;
using Gateway.Streaming;
using Microsoft.AspNetCore.Http;

namespace Gateway.Guardrails;

/// <summary>
/// The answer on its way to the caller, through the endpoint's response guardrails and the restoring of the
/// request's placeholders. Every provider's answer is in OpenAI's format by now. A streamed answer comes through
/// the relay, where the guard is the last chunk stage, and is rewritten event by event: each choice's content, text and tool-call arguments go through a <see cref="StreamedField"/>
/// that holds back only what could still be (part of) an entity or a placeholder; a choice's finish_reason, the
/// [DONE] event or the end of the answer flushes what is held, in a chunk of its own where needed. A JSON answer is
/// kept whole (it is sent in one piece anyway) and rewritten at its end. A block finding in the answer replaces the
/// rest of it with a notice and finish_reason "content_filter", as providers' own content filters do. Error
/// answers pass through untouched.
/// </summary>
/// <remarks>This part is the JSON answer's stream on the response; ResponseGuard.Chunks.cs takes a stream's chunks and
/// writes the guard's own, ResponseGuard.FieldEdits.cs edits a stream's fields, ResponseGuard.Rewrite.cs rewrites
/// a whole JSON answer.</remarks>
internal sealed partial class ResponseGuard(Stream inner, HttpResponse response, GuardrailRun run, EndpointKind kind) : Stream, IChunkStage
{
    private Mode _mode;
    private ArrayBufferWriter<byte>? _json;
    private long _busyTicks;
    private ArrayBufferWriter<byte>? _output;

    private enum Mode
    {
        Undecided,
        PassThrough,
        Json,
    }

    /// <summary>Time spent scanning and rewriting the answer, for the trace.</summary>
    public TimeSpan Busy => Stopwatch.GetElapsedTime(0, _busyTicks);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var output = Process(buffer);
        if (!output.IsEmpty)
        {
            inner.Write(output.Span);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_mode == Mode.PassThrough)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            return;
        }

        var output = Process(buffer.Span);
        if (!output.IsEmpty)
        {
            await inner.WriteAsync(output, cancellationToken);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
        if (_mode != Mode.Json)
        {
            inner.Flush();
        }
    }

    // A JSON answer is held whole: flushing would only send the headers early.
    public override Task FlushAsync(CancellationToken cancellationToken) => _mode == Mode.Json ? Task.CompletedTask : inner.FlushAsync(cancellationToken);

    /// <summary>The answer is complete: a JSON answer, held whole, goes out rewritten in one piece (a stream's held text went out at the relay's end).</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var answer = ReadOnlyMemory<byte>.Empty;
        if (_mode == Mode.Json && _json is not null)
        {
            answer = RewriteAnswer(_json.WrittenMemory);
            _json = null;
        }

        _busyTicks += Stopwatch.GetTimestamp() - started;
        _mode = Mode.PassThrough; // anything written later (a pipe completed late) must not be held forever
        if (!answer.IsEmpty)
        {
            await inner.WriteAsync(answer, cancellationToken);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>What of these bytes goes out now: nothing while a JSON answer is held, else a copy of them.</summary>
    private ReadOnlyMemory<byte> Process(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        if (_mode == Mode.Undecided)
        {
            _mode = Decide();
        }

        var started = Stopwatch.GetTimestamp();
        if (_mode == Mode.Json)
        {
            _json!.Write(data);
            _busyTicks += Stopwatch.GetTimestamp() - started;
            return ReadOnlyMemory<byte>.Empty;
        }

        var output = _output ??= new ArrayBufferWriter<byte>(4096); // written out before the next write comes (writes are not concurrent)
        output.ResetWrittenCount();
        output.Write(data);
        _busyTicks += Stopwatch.GetTimestamp() - started;
        return output.WrittenMemory;
    }

    /// <summary>At the first byte the headers are fixed: they say what the body is.</summary>
    private Mode Decide()
    {
        if (response.StatusCode >= 400)
        {
            return Mode.PassThrough; // an error: nothing the model wrote
        }

        var type = response.ContentType ?? "";
        if (type.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("An event stream was written to the response body past the relay: its chunks would go unguarded.");
        }

        if (type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            // Held whole, in one buffer of the answer's size when the provider said it.
            _json = new ArrayBufferWriter<byte>((int)Math.Clamp(response.ContentLength ?? 4096, 256, 1 << 20));
            response.ContentLength = null; // the rewritten answer has its own length
            return Mode.Json;
        }

        return Mode.PassThrough;
    }
}
