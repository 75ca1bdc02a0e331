using System.Text.Encodings.Web;
using System.Text.Json;

namespace FakeProviders;

/// <summary>
/// JSON as the providers' servers write it: '+', '/', quotes and non-ASCII unescaped. (System.Text.Json's
/// default escapes '+' as \u002B, which older SDKs that decode base64 embeddings from the raw bytes reject.)
/// </summary>
public static class WireJson
{
    public static JsonSerializerOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
