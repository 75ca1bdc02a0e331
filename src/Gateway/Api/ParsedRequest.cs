namespace Gateway.Api;

/// <summary>
/// What the gateway needs from an OpenAI request body, found in one pass without building a tree.
/// The body itself is forwarded as bytes; only the <c>model</c> value is spliced.
/// </summary>
/// <param name="ModelTokenStart">Byte offset of the model string token, opening quote included.</param>
/// <param name="ModelTokenLength">Length of the model string token, both quotes included.</param>
internal readonly record struct ParsedRequest(string Model, int ModelTokenStart, int ModelTokenLength, bool Stream, bool IncludeUsage);
