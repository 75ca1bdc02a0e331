using System.Text.Json;
using Gateway.Core.Chat;
using Gateway.Errors;

namespace Gateway.Inbound.OpenAi;

internal static partial class OpenAiChatReader
{
    /// <summary>tools (function tools only) and tool_choice (auto, none, required, or one function by name).</summary>
    private static GatewayError? ReadTools(JsonElement root, out List<ChatTool> tools, out ChatToolChoice? choice)
    {
        tools = [];
        choice = null;
        if (root.TryGetProperty("tools", out var toolsElement) && toolsElement.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var tool in toolsElement.EnumerateArray())
            {
                var path = $"tools[{i++}]";
                if (!tool.TryGetProperty("type", out var type) || !type.ValueEquals("function")
                    || !tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                    || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                {
                    return GatewayErrors.InvalidField(path, "expected {\"type\": \"function\", \"function\": {\"name\": …}}");
                }

                tools.Add(new ChatTool(name.GetString()!,
                    function.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String ? description.GetString() : null,
                    function.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object ? parameters.GetRawText() : null));
            }
        }

        if (!root.TryGetProperty("tool_choice", out var choiceElement) || choiceElement.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (choiceElement.ValueKind == JsonValueKind.String)
        {
            choice = choiceElement.GetString() switch
            {
                "auto" => new ChatToolChoice(ToolChoiceMode.Auto),
                "none" => new ChatToolChoice(ToolChoiceMode.None),
                "required" => new ChatToolChoice(ToolChoiceMode.Required),
                _ => null,
            };
        }
        else if (choiceElement.ValueKind == JsonValueKind.Object && choiceElement.TryGetProperty("function", out var named)
            && named.TryGetProperty("name", out var namedTool) && namedTool.ValueKind == JsonValueKind.String)
        {
            choice = new ChatToolChoice(ToolChoiceMode.Named, namedTool.GetString());
        }

        return choice is null ? GatewayErrors.InvalidField("tool_choice", "expected auto, none, required or {\"type\": \"function\", \"function\": {\"name\": …}}") : null;
    }
}
