using System.Text.Json;
using Gateway.Core;
using Gateway.Errors;

namespace Gateway.Inbound.OpenAi;

/// <summary>
/// Validates an OpenAI request body and finds the fields routing needs, in a single
/// <see cref="Utf8JsonReader"/> pass (no tree, no re-serialisation): about 1.5 ms per MB of escape-heavy chat text,
/// far less for plain text (loadtests/Benchmarks).
/// </summary>
internal sealed partial class OpenAiRequestReader : IRequestReader
{
    /// <summary>The reader the OpenAI routes hand the pipeline.</summary>
    public static readonly OpenAiRequestReader Instance = new();

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 256 };

    private OpenAiRequestReader()
    {
    }

    GatewayError? IRequestReader.TryRead(ReadOnlySpan<byte> body, EndpointKind kind, out ParsedRequest parsed, PromptTexts? texts) => TryRead(body, kind, out parsed, texts);

    /// <param name="texts">When given, the prompt's strings are decoded into it on the way (what limits and guardrails read).</param>
    public static GatewayError? TryRead(ReadOnlySpan<byte> body, EndpointKind kind, out ParsedRequest parsed, PromptTexts? texts = null)
    {
        parsed = default;
        try
        {
            return Read(body, kind, out parsed, texts);
        }
        catch (InvalidFieldException ex)
        {
            return GatewayErrors.InvalidField(ex.Field, ex.Expectation);
        }
        catch (JsonException ex)
        {
            // Utf8JsonReader reports malformed input only by throwing; this is the boundary where it becomes a 400.
            return GatewayErrors.InvalidJson(Describe(ex));
        }
    }

    private static GatewayError? Read(ReadOnlySpan<byte> body, EndpointKind kind, out ParsedRequest parsed, PromptTexts? texts)
    {
        parsed = default;
        var reader = new Utf8JsonReader(body, Options);
        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            return GatewayErrors.InvalidJson("the body is empty; send a JSON object.");
        }

        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return GatewayErrors.InvalidJson("the body must be a JSON object.");
        }

        string? model = null;
        int modelStart = 0, modelLength = 0;
        bool stream = false, includeUsage = false, hasStreamOptions = false, hasPayload = false;
        long? maxOutput = null;
        var choices = 1;
        var payloadField = PayloadField(kind);

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                if (model is not null)
                {
                    // Two "model" keys: we would rewrite one and the provider might read the other.
                    return GatewayErrors.InvalidField("model", "it appears more than once in the body");
                }

                if (reader.TokenType != JsonTokenType.String)
                {
                    return GatewayErrors.InvalidField("model", "expected the name of an endpoint as a string");
                }

                model = ReadModel(ref reader);
                modelStart = (int)reader.TokenStartIndex;
                modelLength = reader.ValueSpan.Length + 2;
            }
            else if (reader.ValueTextEquals("stream"u8))
            {
                reader.Read();
                stream = reader.TokenType switch
                {
                    JsonTokenType.True => true,
                    JsonTokenType.False or JsonTokenType.Null => false,
                    _ => throw new InvalidFieldException("stream", "expected true or false"),
                };
            }
            else if (reader.ValueTextEquals("stream_options"u8))
            {
                reader.Read();
                hasStreamOptions = true;
                includeUsage = ReadIncludeUsage(ref reader);
            }
            else if (reader.ValueTextEquals("max_tokens"u8) || reader.ValueTextEquals("max_completion_tokens"u8))
            {
                // Rate limits reserve the most the answer may cost; a value the provider will refuse counts as absent.
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var max) && max > 0)
                {
                    maxOutput = Math.Max(maxOutput ?? 0, max);
                }
            }
            else if (reader.ValueTextEquals("n"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) && n is > 1 and <= 128)
                {
                    choices = n;
                }
            }
            else if (reader.ValueTextEquals(payloadField))
            {
                reader.Read();
                if (hasPayload)
                {
                    // Two payloads: the guardrails and the provider might not read the same one.
                    return GatewayErrors.InvalidField(PayloadName(kind), "it appears more than once in the body");
                }

                hasPayload = CheckPayload(ref reader, kind);
                if (texts is null)
                {
                    reader.Skip();
                }
                else
                {
                    CollectPrompt(ref reader, kind, texts);
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.Read())
        {
            return GatewayErrors.InvalidJson("unexpected data after the end of the JSON object.");
        }

        if (string.IsNullOrEmpty(model))
        {
            return GatewayErrors.MissingField("model");
        }

        if (!hasPayload)
        {
            return GatewayErrors.MissingField(PayloadName(kind));
        }

        parsed = new ParsedRequest(model, modelStart, modelLength, stream, includeUsage, hasStreamOptions)
        {
            MaxOutputTokens = maxOutput * choices,
        };
        return null;
    }

    private static string ReadModel(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // The reader's only way to say the string is not UTF-8 or holds an escaped surrogate without its pair.
            throw new InvalidFieldException("model", UndecodableText);
        }
    }

    private static bool ReadIncludeUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return false;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidFieldException("stream_options", "expected an object");
        }

        var includeUsage = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isIncludeUsage = reader.ValueTextEquals("include_usage"u8);
            reader.Read();
            if (isIncludeUsage)
            {
                includeUsage = reader.TokenType == JsonTokenType.True;
            }

            reader.Skip();
        }

        return includeUsage;
    }

    private static bool CheckPayload(ref Utf8JsonReader reader, EndpointKind kind)
    {
        switch (kind)
        {
            case EndpointKind.Chat when reader.TokenType != JsonTokenType.StartArray:
                throw new InvalidFieldException("messages", "expected an array of messages");
            case EndpointKind.Chat:
                // An empty array is as good as none: the provider would reject it.
                var copy = reader;
                copy.Read();
                if (copy.TokenType == JsonTokenType.EndArray)
                {
                    throw new InvalidFieldException("messages", "the array is empty; send at least one message");
                }

                return true;
            default:
                return reader.TokenType is JsonTokenType.String or JsonTokenType.StartArray
                    ? true
                    : throw new InvalidFieldException(PayloadName(kind), "expected a string or an array");
        }
    }

    private static ReadOnlySpan<byte> PayloadField(EndpointKind kind) => kind switch
    {
        EndpointKind.Chat => "messages"u8,
        EndpointKind.Completions => "prompt"u8,
        _ => "input"u8,
    };

    private static string PayloadName(EndpointKind kind) => kind switch
    {
        EndpointKind.Chat => "messages",
        EndpointKind.Completions => "prompt",
        _ => "input",
    };

    private static string Describe(JsonException ex) =>
        $"{ex.Message.Split(" LineNumber:")[0]} (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).";

    /// <summary>A field of the wrong shape, found deep in the ref-struct reader; becomes a 400 value at <see cref="TryRead"/>.</summary>
    private sealed class InvalidFieldException(string field, string expectation) : Exception(expectation)
    {
        public string Field { get; } = field;

        public string Expectation { get; } = expectation;
    }
}
