using System.Globalization;
using System.Text.Json;
using Gateway.Core;

namespace Gateway.Inbound.OpenAi;

/// <summary>
/// The prompt's walk: every string of messages, prompt or input decoded into <see cref="PromptTexts"/> during the
/// reader's one pass, each tagged with the field it is (what guardrails scan), and the messages and numbers counted
/// (what the token count adds). Images' URLs are neither text nor prompt tokens, so they are skipped.
/// </summary>
internal sealed partial class OpenAiRequestReader
{
    private const string UndecodableText = "it holds bytes that are not UTF-8, or an escaped surrogate without its pair";

    /// <summary>The reader is on the payload's first token (checked already); leaves it on the payload's last.</summary>
    private static void CollectPrompt(ref Utf8JsonReader reader, EndpointKind kind, PromptTexts texts)
    {
        texts.Payload = PayloadName(kind);
        if (kind == EndpointKind.Chat)
        {
            texts.IsChat = true;
            CollectMessages(ref reader, texts);
            return;
        }

        var field = kind == EndpointKind.Completions ? PromptField.Prompt : PromptField.Input;
        if (reader.TokenType == JsonTokenType.String)
        {
            Add(ref reader, texts, field, -1, -1);
            return;
        }

        for (var part = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; part++)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                Add(ref reader, texts, field, -1, part);
            }
            else
            {
                CollectOther(ref reader, texts, -1); // token ids, or arrays of them
            }
        }
    }

    private static void CollectMessages(ref Utf8JsonReader reader, PromptTexts texts)
    {
        for (var message = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; message++)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                CollectOther(ref reader, texts, message);
                continue;
            }

            texts.Messages++;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("content"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        Add(ref reader, texts, PromptField.Content, message, -1);
                    }
                    else if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        CollectElements(ref reader, texts, message, "text"u8, PromptField.ContentPart);
                    }
                    else
                    {
                        CollectOther(ref reader, texts, message);
                    }
                }
                else if (reader.ValueTextEquals("tool_calls"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        CollectElements(ref reader, texts, message, "function"u8, PromptField.ToolArguments, "arguments"u8);
                    }
                    else
                    {
                        CollectOther(ref reader, texts, message);
                    }
                }
                else if (reader.ValueTextEquals("function_call"u8))
                {
                    reader.Read();
                    CollectProperty(ref reader, texts, message, -1, "arguments"u8, PromptField.FunctionArguments);
                }
                else
                {
                    SkipImageOrCollect(ref reader, texts, message);
                }
            }
        }
    }

    /// <summary>
    /// An array of objects, each holding the text in one property (a content part's <c>text</c>) or in a property
    /// of an object there (a tool call's <c>function</c>, whose <c>arguments</c> are the text).
    /// </summary>
    private static void CollectElements(ref Utf8JsonReader reader, PromptTexts texts, int message, ReadOnlySpan<byte> property, PromptField field,
        ReadOnlySpan<byte> inner = default)
    {
        for (var part = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; part++)
        {
            CollectProperty(ref reader, texts, message, part, property, field, inner);
        }
    }

    /// <summary>An object one of whose properties is the text, or (with <paramref name="inner"/>) an object holding it.</summary>
    private static void CollectProperty(ref Utf8JsonReader reader, PromptTexts texts, int message, int part, ReadOnlySpan<byte> property, PromptField field,
        ReadOnlySpan<byte> inner = default)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            CollectOther(ref reader, texts, message);
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals(property))
            {
                SkipImageOrCollect(ref reader, texts, message);
                continue;
            }

            reader.Read();
            if (!inner.IsEmpty)
            {
                CollectProperty(ref reader, texts, message, part, inner, field);
            }
            else if (reader.TokenType == JsonTokenType.String)
            {
                Add(ref reader, texts, field, message, part);
            }
            else
            {
                CollectOther(ref reader, texts, message);
            }
        }
    }

    /// <summary>The reader is on a property name: its value is skipped when it is an image's, counted otherwise.</summary>
    private static void SkipImageOrCollect(ref Utf8JsonReader reader, PromptTexts texts, int message)
    {
        var image = reader.ValueTextEquals("image_url"u8);
        reader.Read();
        if (image)
        {
            reader.Skip();
        }
        else
        {
            CollectOther(ref reader, texts, message);
        }
    }

    /// <summary>Any value: its strings counted but not guarded, its numbers counted as a token each.</summary>
    private static void CollectOther(ref Utf8JsonReader reader, PromptTexts texts, int message)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            CollectScalar(ref reader, texts, message);
            return;
        }

        var depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("image_url"u8))
            {
                reader.Read();
                reader.Skip();
            }
            else
            {
                CollectScalar(ref reader, texts, message);
            }
        }
    }

    private static void CollectScalar(ref Utf8JsonReader reader, PromptTexts texts, int message)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            Add(ref reader, texts, PromptField.Other, message, -1);
        }
        else if (reader.TokenType == JsonTokenType.Number)
        {
            texts.Numbers++;
        }
    }

    private static void Add(ref Utf8JsonReader reader, PromptTexts texts, PromptField field, int message, int part)
    {
        if (!texts.Add(ref reader, field, message, part))
        {
            var text = new PromptText(0, 0, 0, 0, field, message, part);
            var where = field != PromptField.Other ? text.Location
                : message >= 0 ? string.Create(CultureInfo.InvariantCulture, $"messages[{message}]")
                : texts.Payload;
            throw new InvalidFieldException(where, UndecodableText);
        }
    }
}
