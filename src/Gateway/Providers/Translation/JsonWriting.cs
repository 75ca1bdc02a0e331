using System.Text.Json;

namespace Gateway.Providers.Translation;

/// <summary>Small shapes every request writer repeats.</summary>
internal static class JsonWriting
{
    public static void WriteStringArray(this Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    /// <summary>An object holding one empty object, such as Converse's {"auto": {}}.</summary>
    public static void WriteTag(this Utf8JsonWriter json, string name, string tag)
    {
        json.WriteStartObject(name);
        json.WriteStartObject(tag);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
