using System.Text;
using System.Text.Json;

namespace Gateway.Tracking;

internal sealed partial class ResponseMeter
{
    private const int MaxCompletionText = 1024 * 1024;

    /// <summary>Reads one chunk's JSON; true when it is the usage-only chunk (no choices, usage set).</summary>
    private bool ReadEvent(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty || json[0] != (byte)'{')
        {
            return false; // [DONE], or not JSON
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            var choices = -1;
            var hasUsage = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (Model is null && reader.TokenType == JsonTokenType.String)
                    {
                        Model = reader.GetString();
                    }
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        Usage = UsageCounts.Read(json[start..((int)reader.BytesConsumed)]);
                        hasUsage = true;
                    }
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    choices = ReadChoices(ref reader);
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    StreamError = ReadErrorCode(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return hasUsage && choices == 0;
        }
        catch (JsonException)
        {
            return false; // not ours to judge: it goes to the client as it came
        }
    }

    /// <summary>Appends each choice's text (delta.content, or text for completions); returns how many choices there were.</summary>
    private int ReadChoices(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return -1;
        }

        var count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            count++;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("text"u8))
                {
                    reader.Read();
                    AppendText(ref reader);
                }
                else if (reader.ValueTextEquals("delta"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }

                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var isContent = reader.ValueTextEquals("content"u8);
                        reader.Read();
                        if (isContent)
                        {
                            AppendText(ref reader);
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }

        return count;
    }

    private void AppendText(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return;
        }

        _text ??= new StringBuilder();
        if (_text.Length < MaxCompletionText)
        {
            _text.Append(reader.GetString());
        }
    }

    private static string ReadErrorCode(ref Utf8JsonReader reader)
    {
        string? code = null, type = null;
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueTextEquals("code"u8) ? 1 : reader.ValueTextEquals("type"u8) ? 2 : 0;
                reader.Read();
                if (name > 0 && reader.TokenType == JsonTokenType.String)
                {
                    if (name == 1)
                    {
                        code = reader.GetString();
                    }
                    else
                    {
                        type = reader.GetString();
                    }
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

        return code ?? type ?? "stream_error";
    }
}
