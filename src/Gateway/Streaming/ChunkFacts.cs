using System.Text.Json;

namespace Gateway.Streaming;

/// <summary>What an event of the relay's stream is.</summary>
internal enum ChunkKind
{
    /// <summary>A JSON object that parses: a chunk, a usage chunk, an error.</summary>
    Json,

    /// <summary>The <c>[DONE]</c> event that ends a successful stream.</summary>
    Done,

    /// <summary>Anything else (not JSON, or JSON cut short): a provider's stream ends there (see <see cref="StreamRelay"/>).</summary>
    Other,
}

/// <summary>Which text of a choice a chunk carries.</summary>
internal enum ChunkTextKind
{
    /// <summary><c>choices[].delta.content</c>.</summary>
    Content,

    /// <summary><c>choices[].delta.tool_calls[].function.arguments</c>.</summary>
    ToolArguments,

    /// <summary><c>choices[].text</c> (completions).</summary>
    Text,
}

/// <summary>A token's place in the event's data; empty when the chunk has none.</summary>
internal readonly record struct JsonRange(int Start, int Length)
{
    public bool IsEmpty => Length == 0;

    public ReadOnlySpan<byte> Of(ReadOnlySpan<byte> data) => data.Slice(Start, Length);

    /// <summary>The string the token is; null for any other token (or one that does not decode).</summary>
    public string? ReadString(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(Of(data));
            return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        }
        catch (InvalidOperationException)
        {
            return null; // not valid UTF-8, or a lone surrogate escape
        }
    }
}

/// <summary>One text a chunk carries: whose it is (a choice's index; a tool call's, or -1), where its string token is, and its value.</summary>
internal readonly record struct ChunkText(ChunkTextKind Kind, int Choice, int Tool, JsonRange Token, string Value);

/// <summary>A choice's finish_reason in a chunk; the reason is null where the chunk says null.</summary>
internal readonly record struct ChunkFinish(int Choice, string? Reason);

/// <summary>
/// What the relay's stages need of one event of an OpenAI-format stream (the format every provider's answer is
/// relayed in), read once by one forward pass of <see cref="Utf8JsonReader"/> before the first stage sees it:
/// the meta fields the guard copies into chunks of its own, the model, usage and error the meter records, and
/// each choice's texts and finish reason. Where a choice or a tool call names its "index", that is its number,
/// wherever in the object it comes; else its position. One instance is read again for each event.
/// </summary>
internal sealed class ChunkFacts
{
    public ChunkKind Kind { get; private set; }

    public JsonRange Id { get; private set; }

    public JsonRange Object { get; private set; }

    public JsonRange Created { get; private set; }

    public JsonRange Model { get; private set; }

    /// <summary>The usage object (null usage: empty).</summary>
    public JsonRange UsageToken { get; private set; }

    /// <summary>How many choices the chunk has; -1 when it has no choices array.</summary>
    public int Choices { get; private set; }

    /// <summary>An error event's code (or type); null for any other chunk.</summary>
    public string? ErrorCode { get; private set; }

    /// <summary>
    /// A text of the chunk is well-formed JSON but no string (a lone surrogate escape such as <c>\ud83d</c>): it is
    /// not in <see cref="Texts"/>, so a stage that must read every text cannot pass the chunk on as it is.
    /// </summary>
    public bool HasUndecodableText { get; private set; }

    public List<ChunkText> Texts { get; } = [];

    public List<ChunkFinish> Finishes { get; } = [];

    /// <summary>The chunk OpenAI sends for stream_options.include_usage: usage, and no choices.</summary>
    public bool IsUsageOnly => !UsageToken.IsEmpty && Choices == 0;

    public void Read(ReadOnlySpan<byte> data)
    {
        Id = Object = Created = Model = UsageToken = default;
        Choices = -1;
        ErrorCode = null;
        HasUndecodableText = false;
        Texts.Clear();
        Finishes.Clear();
        var trimmed = data.Trim(" \t\r\n"u8);
        if (trimmed.SequenceEqual("[DONE]"u8))
        {
            Kind = ChunkKind.Done;
            return;
        }

        Kind = ChunkKind.Other;
        if (trimmed.IsEmpty || trimmed[0] != (byte)'{')
        {
            return;
        }

        try
        {
            var reader = new Utf8JsonReader(data, new JsonReaderOptions { MaxDepth = 256 });
            reader.Read();
            ReadChunk(ref reader);
            Kind = ChunkKind.Json;
        }
        catch (JsonException)
        {
            Id = Object = Created = Model = UsageToken = default;
            Choices = -1;
            ErrorCode = null;
            Texts.Clear();
            Finishes.Clear();
        }
    }

    private void ReadChunk(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueTextEquals("id"u8) ? 1 : reader.ValueTextEquals("object"u8) ? 2 : reader.ValueTextEquals("created"u8) ? 3
                : reader.ValueTextEquals("model"u8) ? 4 : reader.ValueTextEquals("usage"u8) ? 5 : reader.ValueTextEquals("choices"u8) ? 6
                : reader.ValueTextEquals("error"u8) ? 7 : 0;
            reader.Read();
            switch (name)
            {
                case 1:
                    Id = Token(ref reader);
                    break;
                case 2:
                    Object = Token(ref reader);
                    break;
                case 3:
                    Created = Token(ref reader);
                    break;
                case 4:
                    Model = reader.TokenType == JsonTokenType.String ? Token(ref reader) : Skip(ref reader);
                    break;
                case 5:
                    UsageToken = reader.TokenType == JsonTokenType.StartObject ? Token(ref reader) : Skip(ref reader);
                    break;
                case 6:
                    ReadChoices(ref reader);
                    break;
                case 7:
                    ErrorCode = ReadErrorCode(ref reader);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            throw new JsonException("More than one JSON value in the event."); // trailing bytes: not a chunk
        }
    }

    private void ReadChoices(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        var position = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                position++;
                continue;
            }

            var (firstText, firstFinish) = (Texts.Count, Finishes.Count);
            var index = position;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueTextEquals("index"u8) ? 1 : reader.ValueTextEquals("delta"u8) ? 2 : reader.ValueTextEquals("text"u8) ? 3
                    : reader.ValueTextEquals("finish_reason"u8) ? 4 : 0;
                reader.Read();
                switch (name)
                {
                    case 1 when reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var named):
                        index = named;
                        break;
                    case 2:
                        ReadDelta(ref reader, position);
                        break;
                    case 3 when reader.TokenType == JsonTokenType.String:
                        AddText(ref reader, ChunkTextKind.Text, position, -1);
                        break;
                    case 4 when reader.TokenType is JsonTokenType.String or JsonTokenType.Null:
                        Finishes.Add(new ChunkFinish(position, reader.TokenType == JsonTokenType.String ? TryGetString(ref reader) : null));
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (index != position)
            {
                for (var i = firstText; i < Texts.Count; i++)
                {
                    Texts[i] = Texts[i] with { Choice = index };
                }

                for (var i = firstFinish; i < Finishes.Count; i++)
                {
                    Finishes[i] = Finishes[i] with { Choice = index };
                }
            }

            position++;
        }

        Choices = position;
    }

    private void ReadDelta(ref Utf8JsonReader reader, int choice)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueTextEquals("content"u8) ? 1 : reader.ValueTextEquals("tool_calls"u8) ? 2 : 0;
            reader.Read();
            if (name == 1 && reader.TokenType == JsonTokenType.String)
            {
                AddText(ref reader, ChunkTextKind.Content, choice, -1);
            }
            else if (name == 2 && reader.TokenType == JsonTokenType.StartArray)
            {
                ReadToolCalls(ref reader, choice);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private void ReadToolCalls(ref Utf8JsonReader reader, int choice)
    {
        var position = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                position++;
                continue;
            }

            var first = Texts.Count;
            var index = position;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueTextEquals("index"u8) ? 1 : reader.ValueTextEquals("function"u8) ? 2 : 0;
                reader.Read();
                if (name == 1 && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var named))
                {
                    index = named;
                }
                else if (name == 2 && reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var isArguments = reader.ValueTextEquals("arguments"u8);
                        reader.Read();
                        if (isArguments && reader.TokenType == JsonTokenType.String)
                        {
                            AddText(ref reader, ChunkTextKind.ToolArguments, choice, position);
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Skip();
                }
            }

            for (var i = first; i < Texts.Count && index != position; i++)
            {
                Texts[i] = Texts[i] with { Tool = index };
            }

            position++;
        }
    }

    private void AddText(ref Utf8JsonReader reader, ChunkTextKind kind, int choice, int tool)
    {
        if (TryGetString(ref reader) is not { } value)
        {
            HasUndecodableText = true;
            return;
        }

        Texts.Add(new ChunkText(kind, choice, tool, new JsonRange((int)reader.TokenStartIndex, (int)reader.BytesConsumed - (int)reader.TokenStartIndex), value));
    }

    /// <summary>The string, or null where it is well-formed JSON but no string .NET can hold (a lone surrogate escape).</summary>
    private static string? TryGetString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The token the reader is on (a container with all it holds).</summary>
    private static JsonRange Token(ref Utf8JsonReader reader)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return new JsonRange(start, (int)reader.BytesConsumed - start);
    }

    private static JsonRange Skip(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return default;
    }

    private static string ReadErrorCode(ref Utf8JsonReader reader)
    {
        string? code = null, type = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return "stream_error";
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueTextEquals("code"u8) ? 1 : reader.ValueTextEquals("type"u8) ? 2 : 0;
            reader.Read();
            if (name == 1 && reader.TokenType == JsonTokenType.String)
            {
                code = TryGetString(ref reader);
            }
            else if (name == 2 && reader.TokenType == JsonTokenType.String)
            {
                type = TryGetString(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return code ?? type ?? "stream_error";
    }
}
