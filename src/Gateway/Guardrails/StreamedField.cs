using Gateway.Guardrails.Detection;
using Gateway.Guardrails.Masking;

namespace Gateway.Guardrails;

/// <summary>
/// One text of a streamed answer (a choice's content, or one tool call's arguments) on its way to the caller: the
/// response guardrails mask it with a hold-back window (<see cref="StreamingMasker"/>), then the request's
/// placeholders are restored (<see cref="StreamingRestorer"/>). At most
/// <see cref="StreamingMasker.MaxHeld"/> + the longest placeholder characters are held at a time (a PEM block:
/// <see cref="StreamingMasker.MaxHeldPem"/>).
/// </summary>
internal sealed class StreamedField
{
    private readonly GuardrailRun _run;
    private readonly string _location;
    private readonly StreamingMasker? _masker;
    private readonly StreamingRestorer? _restorer;
    private int _offset;

    /// <param name="inJson">The text is JSON (tool-call arguments): restored values are escaped for it.</param>
    public StreamedField(GuardrailRun run, string location, bool inJson = false)
    {
        _run = run;
        _location = location;
        if (run.Guardrails.OnResponse)
        {
            _masker = new StreamingMasker((text, findings) => run.Guardrails.Detect(text, GuardrailDirection.Response, findings), Apply);
        }

        if (run.Vault.Count > 0)
        {
            _restorer = new StreamingRestorer(run.Vault, inJson);
        }
    }

    /// <summary>What of this piece can go to the caller now.</summary>
    public string Push(string piece)
    {
        var masked = _masker is null ? piece : _masker.Push(piece);
        return _restorer is null ? masked : _restorer.Push(masked);
    }

    /// <summary>The text's end: everything still held.</summary>
    public string Flush()
    {
        var masked = _masker?.Flush() ?? "";
        return _restorer is null ? masked : _restorer.Push(masked) + _restorer.Flush();
    }

    private string Apply(string ready, IReadOnlyList<PiiFinding> findings)
    {
        var result = _run.Apply(ready, findings, GuardrailDirection.Response, _location, _offset);
        _offset += ready.Length;
        return result;
    }
}
