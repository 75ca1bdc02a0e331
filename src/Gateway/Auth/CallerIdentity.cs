namespace Gateway.Auth;

internal enum CallerRole
{
    User,
    Finance,
    Admin,
}

/// <summary>Who is calling, as every later stage sees it. Never holds the key itself.</summary>
/// <param name="KeyId">The key's name, or a short hash of it: safe for traces and reports.</param>
/// <param name="Endpoints">Endpoints the key may call; null means all.</param>
internal sealed record CallerIdentity(string KeyId, string User, IReadOnlyList<string> Groups, IReadOnlySet<string>? Endpoints, CallerRole Role)
{
    public static CallerIdentity Anonymous { get; } = new("anonymous", "anonymous", [], null, CallerRole.Admin);

    /// <summary>The key's own limits (keys[].limits).</summary>
    public IReadOnlyList<Configuration.Model.LimitConfig> KeyLimits { get; init; } = [];

    public bool MayCall(string endpoint) => Endpoints is null || Endpoints.Contains(endpoint);
}
