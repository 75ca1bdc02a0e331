using Gateway.Core;
using Gateway.Core.Chat;
using Gateway.Errors;

namespace Gateway.Providers.Translation;

/// <summary>
/// Every provider whose API is not OpenAI's, as one class: the caller's API (<see cref="IChatInbound"/>) reads its
/// chat request into the neutral <see cref="ChatRequest"/>, the provider's <see cref="IChatDialect"/> writes it and
/// reads the answer back into the caller's API's writer, and <see cref="TranslatedExchange"/> runs the call. Operations other than chat come from the provider's own code
/// (Gemini's embeddings), or are refused.
/// </summary>
/// <param name="embeddings">The provider's embeddings call, when its API has one.</param>
internal sealed class TranslatedProvider(string name, IChatDialect dialect, TranslatedExchange exchange, TimeProvider time, Func<ProviderCall, Task<AttemptResult>>? embeddings = null) : IProvider
{
    public Task<AttemptResult> SendAsync(ProviderCall call) => call.Kind switch
    {
        EndpointKind.Chat => ChatAsync(call),
        EndpointKind.Embeddings when embeddings is not null => embeddings(call),
        _ => Task.FromResult(AttemptResult.Refused(GatewayErrors.UnsupportedParameter(InferencePaths.Prefix + EndpointKinds.Operation(call.Kind), name, dialect.Type))),
    };

    private async Task<AttemptResult> ChatAsync(ProviderCall call)
    {
        var drop = call.Endpoint.DropUnsupportedParams;
        if (call.Inbound.TryReadChat(call.Body.Memory, new ChatTarget(name, dialect.Type, dialect.Features, drop), out var request) is { } invalid)
        {
            return AttemptResult.Refused(invalid);
        }

        if (request!.ParallelToolCalls == false && request.Tools.Count > 0 && !drop && !dialect.Features.HasFlag(ChatFeatures.SingleToolCall))
        {
            // The API may call several tools at once and has no switch to stop it.
            return AttemptResult.Refused(GatewayErrors.UnsupportedParameter("parallel_tool_calls (false)", name, dialect.Type));
        }

        var (message, unsent) = await dialect.WriteAsync(request, call);
        if (message is null)
        {
            return unsent!;
        }

        using var upstream = message;
        var model = call.Target.Model;
        var writer = call.Inbound.CreateWriter(call.HttpContext.Response, call.Relay, model, time.GetUtcNow().ToUnixTimeSeconds(),
            includeUsage: request.IncludeUsage || call.Request.UsageForTrace);
        return await exchange.RunAsync(call, upstream, writer, dialect.ReadError, async (answer, cancellationToken) =>
        {
            if (request.Stream)
            {
                return await dialect.ReadStreamAsync(answer, writer, cancellationToken);
            }

            await dialect.ReadAnswerAsync(answer, writer, cancellationToken);
            return null;
        });
    }
}
