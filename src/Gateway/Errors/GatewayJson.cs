using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.Errors;

internal static class GatewayJson
{
    /// <summary>
    /// JSON for API clients, not for embedding in HTML: quotes and apostrophes stay readable in messages
    /// ("You said: \"hi\"", not \u0022), as OpenAI writes them.
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
