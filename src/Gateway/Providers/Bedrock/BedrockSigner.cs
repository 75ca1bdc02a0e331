using System.Net.Http.Headers;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.Runtime.Signing;

namespace Gateway.Providers.Bedrock;

/// <summary>
/// How calls to Bedrock prove who sends them: a Bedrock API key as a bearer token, or AWS Signature V4
/// (AWSSDK.Core's signer) with the configured keys or, when none are configured, the AWS default credential
/// chain (environment, profile, EKS web identity or pod identity, instance role), resolved on first use so
/// start-up never waits on an instance metadata endpoint.
/// </summary>
internal sealed class BedrockSigner
{
    /// <summary>The service name Bedrock's runtime API is signed for.</summary>
    public const string SigningService = "bedrock";

    private readonly string? _apiKey;
    private readonly RegionEndpoint _region;
    private readonly AWSCredentials? _configured;
    private Task<AWSCredentials>? _resolved;

    public BedrockSigner(string region, string? apiKey, string? accessKeyId, string? secretAccessKey, string? sessionToken)
    {
        _apiKey = apiKey;
        _region = RegionEndpoint.GetBySystemName(region);
        _configured = accessKeyId is null ? null
            : sessionToken is null ? new BasicAWSCredentials(accessKeyId, secretAccessKey)
            : new SessionAWSCredentials(accessKeyId, secretAccessKey, sessionToken);
    }

    /// <summary>Secrets that must never reach a client, even when a provider's error message quotes them.</summary>
    public string Secret => _apiKey ?? "";

    /// <summary>The default chain, found once; a failed search is tried again on the next call (the pod's token may not be there yet).</summary>
    private Task<AWSCredentials> ResolveAsync()
    {
        var resolved = _resolved;
        if (resolved is null || resolved.IsFaulted || resolved.IsCanceled)
        {
            resolved = new DefaultAWSCredentialsIdentityResolver().ResolveIdentityAsync(null, CancellationToken.None);
            _resolved = resolved;
        }

        return resolved;
    }

    /// <exception cref="AmazonClientException">No AWS credentials could be found.</exception>
    public async Task SignAsync(HttpRequestMessage request, byte[] body, CancellationToken cancellationToken)
    {
        if (_apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
            return;
        }

        var signing = new AWSSigningRequest { HttpMethod = request.Method, RequestUri = request.RequestUri, Content = body };
        signing.Headers["Content-Type"] = "application/json";
        var parameters = new AWSSigV4Parameters
        {
            Credentials = _configured ?? await ResolveAsync().WaitAsync(cancellationToken),
            Region = _region,
            Service = SigningService,
            SignPayload = true,
        };
        var signed = await AWSSigV4Signer.SignAsync(signing, parameters, cancellationToken);
        foreach (var (name, value) in signed.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }
}
