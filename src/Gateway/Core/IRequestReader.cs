using Gateway.Errors;

namespace Gateway.Core;

/// <summary>
/// An inbound API's reader: one pass over a request body in that API's shape that validates it and yields the
/// facts the pipeline's stages need. Each inbound API brings one; the pipeline knows none of them by name.
/// </summary>
internal interface IRequestReader
{
    /// <summary>The request's facts, or the 400 that says what is wrong with it.</summary>
    /// <param name="texts">When given, the prompt's strings are decoded into it during the same pass.</param>
    GatewayError? TryRead(ReadOnlySpan<byte> body, EndpointKind kind, out ParsedRequest parsed, PromptTexts? texts = null);
}
