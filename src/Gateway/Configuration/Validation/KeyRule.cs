using System.Security.Cryptography;
using System.Text;
using Gateway.Configuration.Binding;

namespace Gateway.Configuration.Validation;

internal sealed class KeyRule : IConfigRule
{
    public const string HashPrefix = "sha256:";
    public const int MinimumPlainKeyLength = 16;

    public void Validate(ConfigValidationContext context)
    {
        var config = context.Config;
        var hashes = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < config.Keys.Count; i++)
        {
            var key = config.Keys[i];
            var path = $"keys[{i}]";
            // Messages never quote the key: it is a credential.
            string? hash = null;
            if (key.Key is null)
            {
                // Missing or unreadable: already reported by the binder.
            }
            else if (key.Key.StartsWith(HashPrefix, StringComparison.Ordinal))
            {
                var hex = key.Key[HashPrefix.Length..];
                if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
                {
                    context.Error($"{path}.key", "a hashed key must be sha256: followed by 64 hex digits (sha256sum of the key)");
                }
                else
                {
                    hash = hex.ToLowerInvariant();
                }
            }
            else if (key.Key.Length < MinimumPlainKeyLength)
            {
                context.Error($"{path}.key", $"the key is {key.Key.Length} characters long; gateway keys need at least {MinimumPlainKeyLength}");
            }
            else
            {
                hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.Key)));
            }

            if (hash is not null && !hashes.TryAdd(hash, i))
            {
                context.Error($"{path}.key", $"the same key is already configured at keys[{hashes[hash]}]");
            }

            if (key.Name is not null && !names.TryAdd(key.Name, i))
            {
                context.Error($"{path}.name", $"the name '{key.Name}' is already used by keys[{names[key.Name]}]");
            }

            if (key.User is not null && key.User.Trim().Length == 0)
            {
                context.Error($"{path}.user", "the user must not be empty");
            }

            for (var g = 0; g < key.Groups.Count; g++)
            {
                var group = key.Groups[g];
                if (!config.Groups.ContainsKey(group))
                {
                    context.Error($"{path}.groups[{g}]", $"unknown group '{group}'{Suggestions.DidYouMean(group, config.Groups.Keys)}; declare it under 'groups' (an empty '{group}: {{}}' will do)");
                }
            }

            if (key.Endpoints is { } endpoints)
            {
                for (var e = 0; e < endpoints.Count; e++)
                {
                    if (!config.Endpoints.ContainsKey(endpoints[e]))
                    {
                        context.Error($"{path}.endpoints[{e}]", $"unknown endpoint '{endpoints[e]}'{Suggestions.DidYouMean(endpoints[e], config.Endpoints.Keys)}");
                    }
                }
            }
        }
    }
}
