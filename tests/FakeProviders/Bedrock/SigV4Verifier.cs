using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FakeProviders.Bedrock;

/// <summary>
/// Checks an AWS Signature V4 the way AWS does, written from the specification and independent of any SDK's
/// signer, so that a signature the fake accepts is one AWS would accept: canonical request (the path's
/// segments encoded once more, as for every service but S3), string to sign, signing key, HMAC.
/// </summary>
public sealed class SigV4Verifier(string accessKeyId, string secretAccessKey, string region, string service)
{
    /// <summary>Null when the signature is right; otherwise what AWS would say, with the exception type it uses.</summary>
    public (string Type, string Message)? Verify(HttpContext context, string body)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal))
        {
            return ("IncompleteSignatureException", $"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization={authorization}");
        }

        var fields = authorization["AWS4-HMAC-SHA256 ".Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
        if (!fields.TryGetValue("Credential", out var credential) || !fields.TryGetValue("SignedHeaders", out var signedHeaders) || !fields.TryGetValue("Signature", out var signature))
        {
            return ("IncompleteSignatureException", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.");
        }

        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[0] != accessKeyId)
        {
            return ("UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        if (scope[2] != region || scope[3] != service || scope[4] != "aws4_request")
        {
            return ("InvalidSignatureException", $"Credential should be scoped to a valid region and service: {string.Join('/', scope[1..])}.");
        }

        var amzDate = context.Request.Headers["x-amz-date"].ToString();
        if (amzDate.Length != 16 || amzDate[..8] != scope[1])
        {
            return ("InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.");
        }

        var signed = signedHeaders.Split(';');
        if (!signed.Contains("host"))
        {
            return ("InvalidSignatureException", "'Host' must be a 'SignedHeader' in the AWS Authorization.");
        }

        var canonicalHeaders = new StringBuilder();
        foreach (var header in signed)
        {
            var value = header == "host" ? context.Request.Host.Value : context.Request.Headers[header].ToString();
            canonicalHeaders.Append(header).Append(':').Append(string.Join(' ', (value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))).Append('\n');
        }

        var payloadHash = context.Request.Headers["x-amz-content-sha256"].FirstOrDefault() ?? Hex(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        var canonicalRequest = string.Join('\n',
            context.Request.Method,
            CanonicalPath(context),
            CanonicalQuery(context.Request.QueryString.Value),
            canonicalHeaders.ToString(),
            signedHeaders,
            payloadHash);
        var stringToSign = string.Join('\n', "AWS4-HMAC-SHA256", amzDate, string.Join('/', scope[1..]), Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), scope[1]);
        key = Hmac(Hmac(Hmac(key, scope[2]), scope[3]), "aws4_request");
        var expected = Hex(Hmac(key, stringToSign));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))
            ? null
            : ("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
    }

    /// <summary>The path as sent (still percent-encoded), each segment encoded again.</summary>
    private static string CanonicalPath(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var path = raw.Split('?')[0];
        return string.Join('/', path.Split('/').Select(Encode));
    }

    private static string CanonicalQuery(string? query) => string.IsNullOrEmpty(query) ? "" : string.Join('&',
        query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).Select(p => (Key: Encode(Uri.UnescapeDataString(p[0])), Value: Encode(Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))))
            .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));

    /// <summary>RFC 3986 encoding as SigV4 wants it: everything but unreserved characters, upper-case hex.</summary>
    private static string Encode(string text)
    {
        var encoded = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
