using System.Buffers;
using Gateway.Core;
using Gateway.Guardrails.Detection;
using Gateway.Guardrails.Json;

namespace Gateway.Guardrails;

/// <summary>
/// Runs an endpoint's guardrails over the texts of a request body before any provider sees it: chat messages
/// (string content and text parts, tool results included), the arguments of earlier tool calls, completion
/// prompts and embeddings inputs. Only those string tokens are rewritten; every other byte goes on as it came.
/// </summary>
internal static class RequestGuard
{
    private static readonly JsonFieldPaths Chat = new(
        "messages[].content", "messages[].content[].text", "messages[].tool_calls[].function.arguments", "messages[].function_call.arguments");

    // Token arrays (lists of integers) carry no text a guardrail can read.
    private static readonly JsonFieldPaths Completions = new("prompt", "prompt[]");

    private static readonly JsonFieldPaths Embeddings = new("input", "input[]");

    /// <summary>Scans the body, recording findings on <paramref name="run"/>; true when it rewrote the body (masked or redacted).</summary>
    /// <remarks>When a block guardrail found something the body is left alone: <see cref="GuardrailRun.Blocked"/> says so.</remarks>
    public static bool Apply(RequestBody body, EndpointKind kind, GuardrailRun run)
    {
        var paths = kind switch
        {
            EndpointKind.Chat => Chat,
            EndpointKind.Completions => Completions,
            _ => Embeddings,
        };

        var fields = new List<JsonField>();
        paths.Find(body.Span, fields); // the body parsed already: it is valid JSON
        List<JsonEdit>? edits = null;
        var findings = new List<PiiFinding>();
        foreach (var field in fields)
        {
            if (field.Value is not { Length: > 0 } text)
            {
                continue;
            }

            findings.Clear();
            run.Guardrails.Detect(text, GuardrailDirection.Request, findings);
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
