using Gateway.Core;
using Gateway.Errors;
using Gateway.Guardrails;
using Gateway.RateLimiting;
using Gateway.Routing;

namespace Gateway.Pipeline.Stages;

/// <summary>
/// Parses the body once (the inbound API's reader: one <c>Utf8JsonReader</c> pass that validates it and
/// finds every fact the later stages read, the prompt's texts decoded when a limit counts them or a guardrail
/// scans them), then finds the endpoint it names and checks that the caller may call it and that it serves this
/// operation.
/// </summary>
internal sealed class ResolveStage(GatewayRateLimiter limiter) : IInferenceStage
{
    public string Name => "resolve";

    public ValueTask<bool> RunAsync(InferenceContext context)
    {
        var snapshot = context.Snapshot;
        if (snapshot.Guardrails.AnyOnRequest || limiter.Table(snapshot.Config).CountsPrompts)
        {
            context.Texts = new PromptTexts();
        }

        if (context.Reader.TryRead(context.Body!.Span, context.Kind, out var parsed, context.Texts) is { } invalid)
        {
            return context.FailAsync(invalid);
        }

        context.Parsed = parsed;
        context.AskedModel = parsed.Model is { Length: > 0 and <= 256 } asked ? asked : null;
        var caller = context.Caller!;
        var endpoints = context.Snapshot.Routes.Endpoints;
        if (!endpoints.TryGetValue(parsed.Model, out var endpoint))
        {
            return context.FailAsync(GatewayErrors.EndpointNotFound(parsed.Model, endpoints.Keys.Where(caller.MayCall)));
        }

        context.Capture = endpoint.Config.Capture;
        if (!caller.MayCall(endpoint.Name))
        {
            return context.FailAsync(GatewayErrors.EndpointNotAllowed(endpoint.Name));
        }

        if (endpoint.Kind != context.Kind)
        {
            return context.FailAsync(GatewayErrors.WrongEndpointKind(endpoint.Name, endpoint.Kind.Name(), InferencePaths.Prefix + endpoint.Kind.Operation()));
        }

        context.Endpoint = endpoint;
        return ValueTask.FromResult(true);
    }

    public ValueTask EndAsync(InferenceContext context) => ValueTask.CompletedTask;
}
