using System.Text;
using System.Text.Json;
using Gateway.Auth;
using Gateway.Core;
using Gateway.Errors;
using Gateway.Providers.Upstream;
using Gateway.Streaming;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Providers.OpenAi;

/// <summary>
/// Shapes the forwarded request for one OpenAI-compatible provider: its URL and credentials instead of
/// the caller's, everything else untouched. On an upstream error it makes sure the client still gets
/// OpenAI's error shape, and never the provider's credentials.
/// </summary>
/// <summary>The header that carries a provider's secret, and the secret itself (scrubbed from anything echoed back).</summary>
internal sealed record UpstreamCredential(string Header, string Value, string Secret)
{
    public static UpstreamCredential? Bearer(string? secret) =>
        string.IsNullOrEmpty(secret) ? null : new(HeaderNames.Authorization, "Bearer " + secret, secret);
}

internal sealed class OpenAiRequestTransformer
{
    public const string UpstreamRequestIdHeader = "x-upstream-request-id";
    private const int MaxErrorBodyBytes = 64 * 1024;
    private static readonly string[] DroppedRequestHeaders = [.. GatewayKeyAuthenticator.CredentialHeaders, HeaderNames.Cookie, HeaderNames.AcceptEncoding];

    private readonly string _providerName;
    private readonly UpstreamCredential? _credential;
    private readonly string? _query;
    private readonly IReadOnlyDictionary<string, string> _headers;

    private readonly string? _normalizeErrorsAs;

    /// <param name="credential">How the provider's secret is sent; null for a server without keys.</param>
    /// <param name="query">A query string sent instead of the caller's (Azure's ?api-version=…); null keeps the caller's.</param>
    /// <param name="normalizeErrorsAs">
    /// The provider type to name when rewriting its errors into OpenAI's full shape, naming who answered
    /// (Azure's also lack a type); null passes OpenAI-shaped errors through untouched, as for OpenAI itself.
    /// </param>
    public OpenAiRequestTransformer(string providerName, UpstreamCredential? credential, IReadOnlyDictionary<string, string> headers,
        string? query = null, string? normalizeErrorsAs = null)
    {
        _providerName = providerName;
        _credential = credential;
        _headers = headers;
        _query = query;
        _normalizeErrorsAs = normalizeErrorsAs;
    }

    /// <summary>
    /// The transformer for one attempt: it hands the attempt to the upstream invoker, records its upstream error,
    /// and sends a streamed success through <paramref name="relay"/> when a stage watches the answer.
    /// </summary>
    public AttemptTransformer ForAttempt(UpstreamAttempt attempt, StreamRelay relay) => new(this, attempt, relay);

    internal sealed class AttemptTransformer(OpenAiRequestTransformer rules, UpstreamAttempt attempt, StreamRelay relay) : HttpTransformer
    {
        /// <summary>The caller went away while the relay was sending the answer.</summary>
        public bool CallerGone { get; private set; }

        /// <summary>
        /// What went wrong in the relay, other than the caller leaving (a bug): kept for the provider to report once
        /// YARP is done (thrown inside this transformer, YARP would clear a response that has started).
        /// </summary>
        public Exception? Failure { get; private set; }

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            rules.ShapeRequest(httpContext, proxyRequest, destinationPrefix);
            proxyRequest.Options.Set(UpstreamAttempt.OptionKey, attempt);
        }

        /// <summary>
        /// A success is relayed as it is. An error is read, not relayed: it becomes the attempt's
        /// <see cref="UpstreamAttempt.UpstreamError"/> and the response is reset, so the router can still retry or
        /// fall back, and writes the error only if nothing else answers.
        /// </summary>
        public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            // Ours, set when the request began; copying the provider's headers may overwrite it.
            var requestId = httpContext.Response.Headers[ErrorResponseWriter.RequestIdHeader];
            var copyBody = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
            copyBody = await rules.ShapeResponseAsync(httpContext, proxyResponse, copyBody, requestId, attempt, cancellationToken);
            if (!copyBody || proxyResponse is null)
            {
                return copyBody;
            }

            if (!string.Equals(proxyResponse.Content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                if (proxyResponse.Content.Headers.ContentEncoding.Count > 0)
                {
                    return true; // compressed although the gateway asked for none: its bytes are not readable JSON, so they go as they came
                }

                await RelayAnswerAsync(httpContext, proxyResponse);
                return false;
            }

            // The relay sends the body; YARP, told not to copy it, then disposes the response.
            httpContext.Response.ContentLength = null; // the relay frames events anew, and may keep one back
            try
            {
                // The caller's token, not YARP's activity token: the relay owns this read loop and its timeouts.
                var aborted = httpContext.RequestAborted;
                await using var body = await proxyResponse!.Content.ReadAsStreamAsync(aborted);
                // An event cut in half by a break upstream is closed off by the watched body before its error event:
                // that break, not the half event, is what the caller is told of.
                var result = await relay.RelayAsync(body, () => attempt.BrokenStream ?? GatewayErrors.UpstreamProtocol(attempt.Provider, attempt.Model,
                    "an event of its stream is not one JSON object"), aborted);
                CallerGone = result.CallerGone;
                if (result.BeforeStart)
                {
                    // Nothing reached the caller: the attempt failed as an error answer does, and the router may go on.
                    attempt.UpstreamError = result.EndedWith;
                    ErrorResponseWriter.Reset(httpContext.Response);
                }
                else
                {
                    attempt.BrokenStream ??= result.EndedWith;
                }
            }
            catch (Exception exception)
            {
                Failure = exception;
            }

            return false;
        }

        /// <summary>
        /// A success that is not a stream must be one JSON object: it is checked on its way (held back while small), and
        /// an answer that is not JSON, or a read of it that fails, before anything went out fails the attempt as an error
        /// answer does; after, the caller's connection is reset (a partial JSON body cannot say it is partial).
        /// </summary>
        private async Task RelayAnswerAsync(HttpContext httpContext, HttpResponseMessage proxyResponse)
        {
            try
            {
                var aborted = httpContext.RequestAborted;
                await using var body = await proxyResponse.Content.ReadAsStreamAsync(aborted);
                var result = await JsonAnswerRelay.RelayAsync(body, httpContext.Response.Body,
                    () => GatewayErrors.UpstreamProtocol(attempt.Provider, attempt.Model, "its answer is not one JSON object"),
                    exception => UpstreamFailures.Timeout(exception) is { } timeout
                        ? GatewayErrors.UpstreamTimeout(attempt.Provider, attempt.Model, timeout.Limit)
                        : GatewayErrors.UpstreamProtocol(attempt.Provider, attempt.Model, UpstreamFailures.Innermost(exception)),
                    aborted);
                CallerGone = result.CallerGone;
                if (result.EndedWith is not { } error)
                {
                    return;
                }

                if (result.BeforeStart)
                {
                    attempt.UpstreamError = error;
                    ErrorResponseWriter.Reset(httpContext.Response);
                }
                else
                {
                    attempt.BrokenStream ??= error;
                    httpContext.Abort();
                }
            }
            catch (Exception exception)
            {
                Failure = exception;
            }
        }
    }

    private void ShapeRequest(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix)
    {
        foreach (var header in DroppedRequestHeaders)
        {
            proxyRequest.Headers.Remove(header);
        }

        if (_credential is not null)
        {
            proxyRequest.Headers.TryAddWithoutValidation(_credential.Header, _credential.Value);
        }

        foreach (var (name, value) in _headers)
        {
            proxyRequest.Headers.Remove(name);
            proxyRequest.Headers.TryAddWithoutValidation(name, value);
        }

        // /v1/chat/completions on the gateway → {destination}/chat/completions at the provider, where the
        // destination is the provider's API root (or, for Azure, the target's deployment under it).
        var operation = httpContext.Request.Path.Value.AsSpan(InferencePaths.Prefix.Length);
        proxyRequest.RequestUri = new Uri(string.Concat(destinationPrefix, operation, _query ?? httpContext.Request.QueryString.Value));
    }

    private async ValueTask<bool> ShapeResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, bool copyBody,
        StringValues requestId, UpstreamAttempt attempt, CancellationToken cancellationToken)
    {
        if (requestId.Count > 0)
        {
            // x-request-id names the gateway's trace; the provider's own id stays at hand for its support desk.
            var headers = httpContext.Response.Headers;
            // YARP appends the provider's id to ours: what is not ours is the provider's.
            if (headers.TryGetValue(ErrorResponseWriter.RequestIdHeader, out var ids) && ids.Count > requestId.Count)
            {
                headers[UpstreamRequestIdHeader] = new StringValues(ids.ToArray()[requestId.Count..]);
            }

            headers[ErrorResponseWriter.RequestIdHeader] = requestId;
        }

        if (proxyResponse is null || (int)proxyResponse.StatusCode < 400)
        {
            return copyBody;
        }

        attempt.UpstreamError = await ReadErrorAsync(httpContext, proxyResponse, cancellationToken);
        ErrorResponseWriter.Reset(httpContext.Response);
        return false;
    }

    private async Task<GatewayError> ReadErrorAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken)
    {
        var status = (int)proxyResponse.StatusCode;
        if (status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
        {
            // The provider refused *our* credentials: not the caller's fault, and its message may quote our key.
            return GatewayErrors.UpstreamCredentialsRejected(_providerName, status);
        }

        var body = await ReadBoundedAsync(proxyResponse.Content, cancellationToken);
        var scrubbed = Scrub(body);
        // Keep what a client needs to back off; everything else in the error is in the body.
        var kept = httpContext.Response.Headers
            .Where(h => h.Key.Equals(HeaderNames.RetryAfter, StringComparison.OrdinalIgnoreCase) || h.Key.StartsWith("x-ratelimit-", StringComparison.OrdinalIgnoreCase))
            .Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString()))
            .ToList();
        if (ReadError(scrubbed) is not { } providerError)
        {
            var wrapped = GatewayErrors.UpstreamFailed(_providerName, status, Summarize(scrubbed));
            return kept.Count == 0 ? wrapped : wrapped with { Headers = kept };
        }

        if (_normalizeErrorsAs is not null)
        {
            var normalized = GatewayErrors.ProviderError(_providerName, _normalizeErrorsAs, status, providerError.Code, providerError.Message);
            // The provider's own type and param, where it gave them, say more than the status does.
            normalized = normalized with { Type = providerError.Type ?? normalized.Type, Param = providerError.Param };
            return kept.Count == 0 ? normalized : normalized with { Headers = kept };
        }

        // OpenAI's own error: the client gets its bytes and headers as OpenAI sent them; the fields inform the router.
        var passed = httpContext.Response.Headers
            .Where(h => !PassThroughDropped.Contains(h.Key, StringComparer.OrdinalIgnoreCase) && !h.Key.StartsWith(ErrorResponseWriter.GatewayHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            .Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString()))
            .ToList();
        return new GatewayError(status, providerError.Type ?? GatewayErrors.Upstream, providerError.Code, providerError.Param, providerError.Message)
        {
            RawBody = scrubbed,
            Headers = passed,
        };
    }

    private static readonly string[] PassThroughDropped = [HeaderNames.ContentLength, HeaderNames.ContentType, HeaderNames.TransferEncoding, HeaderNames.Connection];

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxErrorBodyBytes];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }

        return buffer[..length];
    }

    private byte[] Scrub(byte[] body)
    {
        if (_credential is null)
        {
            return body;
        }

        var text = Encoding.UTF8.GetString(body);
        return text.Contains(_credential.Secret, StringComparison.Ordinal)
            ? Encoding.UTF8.GetBytes(text.Replace(_credential.Secret, "[redacted]", StringComparison.Ordinal))
            : body;
    }

    /// <summary>The code, message, type and param of an {"error": {"code", "message", …}} body; null for any other body.</summary>
    private static (string? Code, string Message, string? Type, string? Param)? ReadError(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
            {
                string? Text(string name) => error.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                return (Text("code"), message.GetString()!, Text("type"), Text("param"));
            }
        }
        catch (JsonException)
        {
            // Not JSON: the generic wrapping below applies.
        }

        return null;
    }

    /// <summary>A short, single-line account of a non-OpenAI error body: its "error"/"message" if JSON, else its text.</summary>
    private static string Summarize(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body).Trim();
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                foreach (var name in (ReadOnlySpan<string>)["error", "message", "detail"])
                {
                    if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                    {
                        text = value.GetString()!;
                        break;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the text itself is the message.
        }

        text = text.ReplaceLineEndings(" ");
        return text.Length == 0 ? "(empty body)" : text.Length > 500 ? text[..500] + "…" : text;
    }
}
