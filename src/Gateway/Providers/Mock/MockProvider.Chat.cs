using System.Text.Json;
using Gateway.Errors;
using Gateway.Providers.Translation;
using Gateway.Streaming;
using Microsoft.AspNetCore.Http;

namespace Gateway.Providers.Mock;

internal sealed partial class MockProvider
{
    private async Task<GatewayError?> ChatAsync(HttpContext context, StreamRelay relay, JsonElement request, string model, bool stream, bool includeUsage)
    {
        var messages = request.GetProperty("messages");
        var lastUser = "";
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            {
                return GatewayErrors.InvalidField("messages", "each message needs a string 'role'");
            }

            if (role.ValueEquals("user"u8))
            {
                lastUser = MockText.ContentText(message);
            }
        }

        var promptTokens = MockText.ChatPromptTokens(messages);
        var (words, truncated) = MockText.Limit(MockText.Words(MockText.Reply(model, lastUser)), MaxTokens(request));
        var finish = truncated ? ChatFinish.Length : ChatFinish.Stop;
        var id = MockText.Id("chatcmpl-mock-", lastUser);
        var created = Now;

        var usage = new ChatUsage(promptTokens, words.Count, CachedTokens: 0);
        var writer = new OpenAiChatWriter(context.Response, relay, id, model, created, includeUsage);
        if (!stream)
        {
            await writer.WriteCompletionAsync(string.Concat(words), [], finish, usage, context.RequestAborted);
            return null;
        }

        writer.StartStream();
        await writer.WriteRoleAsync(context.RequestAborted);
        foreach (var word in words)
        {
            await writer.WriteContentAsync(word, context.RequestAborted);
        }

        await writer.WriteFinishAsync(finish, context.RequestAborted);
        await writer.WriteUsageAsync(usage, context.RequestAborted);
        await writer.WriteDoneAsync(context.RequestAborted);
        return null;
    }
}
