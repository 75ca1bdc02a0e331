using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Errors;
using Gateway.Guardrails.Detection;
using Gateway.Guardrails.Json;
using Gateway.Guardrails.Masking;

namespace Gateway.Guardrails;

// A JSON answer, held whole: rewritten at its end, or rebuilt around the notice when blocked.
internal sealed partial class ResponseGuard
{
    // AnswerPaths 1 and 2: a JSON answer's tool-call (and legacy function-call) arguments.
    private const int AnswerToolArguments = 1;
    private const int AnswerFunctionArguments = 2;

    private static readonly JsonFieldPaths AnswerPaths = new(
        "choices[].message.content", "choices[].message.tool_calls[].function.arguments", "choices[].message.function_call.arguments", "choices[].text");

    /// <summary>
    /// A whole JSON answer: each choice's text and tool arguments masked and restored, or the notice when blocked.
    /// The answer itself when nothing changed (no copy).
    /// </summary>
    private ReadOnlyMemory<byte> RewriteAnswer(ReadOnlyMemory<byte> answer)
    {
        var json = answer.Span;
        var fields = new List<JsonField>();
        try
        {
            AnswerPaths.Find(json, fields);
        }
        catch (JsonException)
        {
            return answer;
        }

        List<JsonEdit>? edits = null;
        var findings = new List<PiiFinding>();
        foreach (var field in fields)
        {
            if (field.Value is not { Length: > 0 } value)
            {
                continue;
            }

            var text = value;
            if (run.Guardrails.OnResponse)
            {
                findings.Clear();
                run.Guardrails.Detect(value, GuardrailDirection.Response, findings);
                text = run.Apply(value, findings, GuardrailDirection.Response, field.Location);
            }

            text = PiiMasking.Restore(text, run.Vault, inJson: field.Pattern is AnswerToolArguments or AnswerFunctionArguments);
            if (!string.Equals(text, value, StringComparison.Ordinal))
            {
                (edits ??= []).Add(new JsonEdit(field.TokenStart, field.TokenLength, text));
            }
        }

        if (edits is null && !run.Blocked(GuardrailDirection.Response))
        {
            return answer;
        }

        var output = new ArrayBufferWriter<byte>(json.Length + 256);
        if (run.Blocked(GuardrailDirection.Response))
        {
            WriteBlockedAnswer(json, output);
        }
        else
        {
            JsonEdits.Apply(json, edits!, output);
        }

        return output.WrittenMemory;
    }

    private void WriteBlockedAnswer(ReadOnlySpan<byte> json, ArrayBufferWriter<byte> output)
    {
        // Rare, and the answer is small: a tree is the plain way to rebuild it.
        var answer = JsonNode.Parse(json)!.AsObject();
        if (answer["choices"] is JsonArray choices)
        {
            foreach (var choice in choices.OfType<JsonObject>())
            {
                if (choice.ContainsKey("message"))
                {
                    choice["message"] = new JsonObject { ["role"] = "assistant", ["content"] = Notice(), ["refusal"] = null };
                }

                if (choice.ContainsKey("text"))
                {
                    choice["text"] = Notice();
                }

                choice["finish_reason"] = "content_filter";
            }
        }

        using var writer = new Utf8JsonWriter(output, GatewayJson.WriterOptions);
        answer.WriteTo(writer);
    }
}
