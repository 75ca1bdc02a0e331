using System.Text.Json;
using Gateway.Core.Chat;
using Gateway.Errors;
using Microsoft.AspNetCore.Http;

namespace Gateway.Providers.Mock;

internal sealed partial class MockProvider
{
    private async Task<GatewayError?> ChatAsync(HttpContext context, ProviderCall call, JsonElement request, string model, bool stream, bool includeUsage)
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
        var id = MockText.Id("mock-", lastUser);
        var created = Now;

        var usage = new ChatUsage(promptTokens, words.Count, CachedTokens: 0);
        var writer = call.Inbound.CreateWriter(context.Response, call.Relay, model, created, includeUsage, id);
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
