using Gateway.Configuration;
using Gateway.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Gateway.Auth;

internal enum AuthFailure
{
    None,
    MissingKey,
    InvalidKey,
}

/// <summary>
/// Finds the caller's gateway key in the headers the stock SDKs use: <c>Authorization: Bearer</c>
/// (OpenAI), <c>api-key</c> (Azure OpenAI) and <c>x-api-key</c> (Anthropic).
/// </summary>
internal static class GatewayKeyAuthenticator
{
    public const string AzureKeyHeader = "api-key";
    public const string AnthropicKeyHeader = "x-api-key";

    /// <summary>The caller, or the 401 to send: the one check every authenticated route makes.</summary>
    public static GatewayError? TryAuthenticate(HttpRequest request, GatewaySnapshot snapshot, out CallerIdentity caller)
    {
        var identity = Authenticate(request, snapshot.Keys, snapshot.Config.Server.AllowsAnonymous, out var failure);
        caller = identity!;
        return failure switch
        {
            AuthFailure.MissingKey => GatewayErrors.MissingKey(),
            AuthFailure.InvalidKey => GatewayErrors.InvalidKey(),
            _ => null,
        };
    }

    public static CallerIdentity? Authenticate(HttpRequest request, KeyTable keys, bool allowAnonymous, out AuthFailure failure)
    {
        if (allowAnonymous)
        {
            failure = AuthFailure.None;
            return CallerIdentity.Anonymous;
        }

        var presented = FindPresentedKey(request.Headers);
        if (presented.IsEmpty)
        {
            failure = AuthFailure.MissingKey;
            return null;
        }

        var identity = keys.Find(presented);
        failure = identity is null ? AuthFailure.InvalidKey : AuthFailure.None;
        return identity;
    }

    private static ReadOnlySpan<char> FindPresentedKey(IHeaderDictionary headers)
    {
        var authorization = headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            const string bearer = "Bearer ";
            return authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)
                ? authorization.AsSpan(bearer.Length).Trim()
                : ReadOnlySpan<char>.Empty;
        }

        var azure = headers[AzureKeyHeader].ToString();
        return azure.Length > 0 ? azure.AsSpan().Trim() : headers[AnthropicKeyHeader].ToString().AsSpan().Trim();
    }

    /// <summary>Headers carrying the caller's gateway key; never forwarded upstream.</summary>
    public static readonly string[] CredentialHeaders = [HeaderNames.Authorization, AzureKeyHeader, AnthropicKeyHeader];
}
