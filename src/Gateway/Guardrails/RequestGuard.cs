using System.Buffers;
using Gateway.Core;
using Gateway.Guardrails.Detection;
using Gateway.Guardrails.Json;

namespace Gateway.Guardrails;

/// <summary>
/// Runs an endpoint's guardrails over the texts of a request body before any provider sees it: chat messages
/// (string content and text parts, tool results included), the arguments of earlier tool calls, completion
/// prompts and embeddings inputs. It reads the texts the request's reader decoded (<see cref="PromptTexts"/>),
/// not the JSON again; only those string tokens are rewritten, and every other byte goes on as it came.
/// </summary>
internal static class RequestGuard
{
    /// <summary>Scans the texts, recording findings on <paramref name="run"/>; true when it rewrote the body (masked or redacted).</summary>
    /// <param name="texts">The prompt's strings, as the reader found them in <paramref name="body"/>.</param>
    /// <remarks>When a block guardrail found something the body is left alone: <see cref="GuardrailRun.Blocked"/> says so.</remarks>
    public static bool Apply(RequestBody body, PromptTexts texts, GuardrailRun run)
    {
        List<JsonEdit>? edits = null;
        var findings = new List<PiiFinding>();
        foreach (ref readonly var field in texts.Items)
        {
            if (!field.Guarded || field.CharLength == 0)
            {
                continue;
            }

            var text = texts.String(field);
            findings.Clear();
            run.Guardrails.Detect(text, GuardrailDirection.Request, findings);
            if (findings.Count == 0)
            {
                continue;
            }

            var replaced = run.Apply(text, findings, GuardrailDirection.Request, field.Location);
            if (!ReferenceEquals(replaced, text))
            {
                (edits ??= []).Add(new JsonEdit(field.TokenStart, field.TokenLength, replaced));
            }
        }

        if (edits is null || run.Blocked(GuardrailDirection.Request))
        {
            return false;
        }

        var output = new ArrayBufferWriter<byte>(body.Length + 256);
        JsonEdits.Apply(body.Span, edits, output);
        body.Replace(output.WrittenSpan);
        return true;
    }
}
