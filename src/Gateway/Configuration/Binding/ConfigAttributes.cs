namespace Gateway.Configuration.Binding;

/// <summary>The value is a credential: redacted in the admin API, never quoted in errors or logs.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class SecretAttribute : Attribute
{
    /// <summary>The value is a URL whose user-info alone is secret (postgres://user:pass@host/db).</summary>
    public bool OnlyUserInfo { get; init; }
}

/// <summary>A string value must be one of these (shown in errors and in the JSON Schema).</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class AllowedValuesAttribute(params string[] values) : Attribute
{
    public IReadOnlyList<string> Values { get; } = values;
}
