using Gateway.Configuration;
using Gateway.Providers;

namespace Gateway.Tests.Configuration;

/// <summary>Every problem in a file is reported at once, each naming file, line, column, key path and what is wrong.</summary>
public sealed class ConfigValidationTests
{
    private static readonly Dictionary<string, string> Environment = new() { ["OPENAI_API_KEY"] = "sk-from-env-0123456789", ["EMPTY"] = "" };

    internal static ConfigLoadResult Parse(string yaml) =>
        ConfigLoader.Parse(new ConfigSource("gateway.yaml", null), yaml, "hash", ProviderRegistry.Rules, name => Environment.GetValueOrDefault(name));

    private static string[] Errors(string yaml) => Parse(yaml).FormattedErrors.ToArray();

    private const string Valid = """
        server: { listen: http://127.0.0.1:8080, auth: none }
        providers:
          openai: { type: openai, api_key: "${OPENAI_API_KEY}" }
        endpoints:
          chat:
            targets: [ { provider: openai, model: gpt-4o-mini } ]
        """;

    [Fact]
    public void Valid_config_has_no_errors()
    {
        var result = Parse(Valid);

        Assert.True(result.IsValid, string.Join("\n", result.FormattedErrors));
        Assert.Equal("sk-from-env-0123456789", result.Config!.Providers["openai"].ApiKey);
        Assert.Equal(TimeSpan.FromSeconds(60), result.Config.Endpoints["chat"].Timeout);
    }

    [Fact]
    public void All_problems_are_reported_together_in_file_order()
    {
        var errors = Errors("""
            server:
              listen: http://127.0.0.1:8080
              auth: none
              max_body: 1MB
            providers:
              openai: { type: openai, api_key: "${MISSING_KEY}" }
              local: { type: opneai_compatible, base_url: http://127.0.0.1:11434/v1 }
            endpoints:
              chat:
                type: chat
                targets:
                  - { provider: openai, model: gpt-4o-mini, weight: 90 }
                  - { provider: opnai, model: gpt-4o, weight: 0 }
                tiemout: 30s
                timeout: 30 seconds
            """);

        Assert.Equal(
        [
            "gateway.yaml:4:3: server.max_body: unknown key 'max_body' (did you mean 'max_body_size'?)",
            "gateway.yaml:6:36: providers.openai.api_key: environment variable 'MISSING_KEY' is not set (write ${MISSING_KEY:-default} to give a default)",
            "gateway.yaml:7:18: providers.local.type: unknown provider type 'opneai_compatible' (did you mean 'openai_compatible'?); known types: anthropic, azure_openai, bedrock, deepseek, fireworks, gemini, groq, lmstudio, mistral, mock, ollama, openai, openai_compatible, openrouter, together, vllm",
            "gateway.yaml:13:21: endpoints.chat.targets[1].provider: unknown provider 'opnai' (did you mean 'openai'?); define it under 'providers'",
            "gateway.yaml:13:51: endpoints.chat.targets[1].weight: 0 is not positive; a weight is a share of the traffic, greater than 0",
            "gateway.yaml:14:5: endpoints.chat.tiemout: unknown key 'tiemout' (did you mean 'timeout'?)",
            "gateway.yaml:15:14: endpoints.chat.timeout: '30 seconds' is not a duration such as 500ms, 30s, 1m, 1h or 1d",
        ], errors);
    }

    [Fact]
    public void Duplicate_keys_are_reported_with_the_line_of_the_first()
    {
        var errors = Errors(Valid + "\nserver: { listen: http://127.0.0.1:9090 }\n");

        Assert.Equal(["gateway.yaml:7:1: duplicate key 'server' (first defined at line 1)"], errors);
    }

    [Fact]
    public void Yaml_syntax_error_names_its_position()
    {
        var errors = Errors("server:\n  listen: [http://127.0.0.1:8080\nproviders: {}\n");

        var error = Assert.Single(errors);
        Assert.Equal("gateway.yaml:2:11: YAML syntax error: the text after this point cannot be read; is a '[' or '{' left unclosed?", error);
    }

    [Fact]
    public void Empty_file_is_an_error()
    {
        Assert.Equal(["gateway.yaml:1:1: the file is empty"], Errors(""));
    }

    [Fact]
    public void Missing_required_keys_are_named_at_their_mapping()
    {
        var errors = Errors(Valid.Replace("{ provider: openai, model: gpt-4o-mini }", "{ provider: openai }", StringComparison.Ordinal));

        Assert.Equal(["gateway.yaml:6:16: endpoints.chat.targets[0]: missing required key 'model'"], errors);
    }

    [Fact]
    public void Wrong_shapes_and_values_say_what_was_expected()
    {
        var errors = Errors("""
            server: { listen: http://127.0.0.1:8080, auth: maybe, max_body_size: lots }
            providers:
              openai: { type: openai, api_key: x, base_url: not-a-url, headers: [a] }
            endpoints:
              chat:
                targets: { provider: openai }
                retry: { attempts: 20, on: [429, teapot] }
            """);

        Assert.Equal(
        [
            "gateway.yaml:1:1: keys: no gateway keys are configured, so no caller could be admitted; add keys, or set server.auth: none to run without keys on loopback",
            "gateway.yaml:1:48: server.auth: 'maybe' is not one of keys, none",
            "gateway.yaml:1:70: server.max_body_size: 'lots' is not a size such as 512KB, 32MB or 1GB",
            "gateway.yaml:3:49: providers.openai.base_url: 'not-a-url' is not an absolute http(s) URL",
            "gateway.yaml:3:69: providers.openai.headers: expected a mapping of names, got a list",
            "gateway.yaml:5:3: endpoints.chat: needs at least one entry in 'targets'",
            "gateway.yaml:6:14: endpoints.chat.targets: expected a list, got a mapping",
            "gateway.yaml:7:24: endpoints.chat.retry.attempts: 20 is out of range; attempts (the first included) must be 1 to 10",
            "gateway.yaml:7:38: endpoints.chat.retry.on[1]: 'teapot' is not a condition here; use an HTTP status 400-599 or timeout, connection",
        ], errors);
    }

    [Fact]
    public void Keys_groups_guardrails_and_limits_are_checked_against_each_other()
    {
        var errors = Errors("""
            server: { listen: http://127.0.0.1:8080 }
            providers:
              demo: { type: mock }
            endpoints:
              chat:
                targets: [ { provider: demo, model: m } ]
                guardrails: [ pi ]
                limits: [ { per: user, window: 1m } ]
            keys:
              - { key: short, user: alice, groups: [ marketting ] }
              - { key: "sha256:abc", user: bob, endpoints: [ chta ] }
            groups:
              marketing: { limits: [ { per: user, requests: 5, window: 1 minute } ] }
            guardrails:
              pii: { entities: [ EMAIL, PHONE_NUMBER ] }
            """);

        Assert.Equal(
        [
            "gateway.yaml:7:19: endpoints.chat.guardrails[0]: unknown guardrail 'pi' (did you mean 'pii'?); define it under the top-level 'guardrails'",
            "gateway.yaml:8:15: endpoints.chat.limits[0]: a limit needs at least one of 'requests', 'tokens' or 'cost'",
            "gateway.yaml:10:12: keys[0].key: the key is 5 characters long; gateway keys need at least 16",
            "gateway.yaml:10:42: keys[0].groups[0]: unknown group 'marketting' (did you mean 'marketing'?); declare it under 'groups' (an empty 'marketting: {}' will do)",
            "gateway.yaml:11:12: keys[1].key: a hashed key must be sha256: followed by 64 hex digits (sha256sum of the key)",
            "gateway.yaml:11:50: keys[1].endpoints[0]: unknown endpoint 'chta' (did you mean 'chat'?)",
            "gateway.yaml:13:33: groups.marketing.limits[0].per: limits here always count per group; remove 'per: user'",
            "gateway.yaml:13:60: groups.marketing.limits[0].window: '1 minute' is not a window such as 1s, 1m, 1h, 1d or month",
            "gateway.yaml:15:29: guardrails.pii.entities[1]: unknown entity 'PHONE_NUMBER' (did you mean 'PHONE'?); known: EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN, IP_ADDRESS, SECRET",
        ], errors);
    }

    [Fact]
    public void Guardrail_patterns_thresholds_and_regions_are_explained()
    {
        var errors = Errors(Valid + "\n" + """
            guardrails:
              pii:
                entities: [ CUSTOM ]
                phone_region: XX
                thresholds: { EMAL: 0.5, BADGE: 2 }
                patterns:
                  - { name: badge, regex: "B-[0-9]+" }
                  - { name: EMAIL, regex: "(unclosed" }
                  - { name: BADGE, regex: "x*", validator: luhm, score: 1.5 }
                  - { name: BADGE, regex: "B-[0-9]+", context: [ "" ] }
            """);

        Assert.Equal(
        [
            "gateway.yaml:9:17: guardrails.pii.entities[0]: unknown entity 'CUSTOM'; list your own patterns under 'patterns' instead; known: EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN, IP_ADDRESS, SECRET",
            "gateway.yaml:10:19: guardrails.pii.phone_region: 'XX' is not a region libphonenumber knows; use an ISO 3166 code in capitals such as US, GB, DE or IN",
        ], errors.Take(2));
        Assert.Contains(errors, e => e.Contains("thresholds.EMAL: 'EMAL' is neither a built-in entity nor one of this guardrail's patterns (did you mean 'EMAIL'?)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("thresholds.BADGE: 2 is outside 0-1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("patterns[0].name: 'badge' must be capitals, digits and '_'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("patterns[1].name: 'EMAIL' is a built-in entity", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("patterns[1].regex: not a valid regular expression", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("patterns[2].regex: matches the empty string", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("patterns[2].validator", StringComparison.Ordinal) && e.Contains("luhn", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("patterns[2].score: 1.5 is outside 0-1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("patterns[3].name: 'BADGE' is used by another pattern of this guardrail", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("patterns[3].context: has an empty word", StringComparison.Ordinal));
    }

    [Fact]
    public void Running_without_keys_is_refused_off_loopback()
    {
        var errors = Errors(Valid.Replace("http://127.0.0.1:8080", "http://0.0.0.0:8080", StringComparison.Ordinal));

        Assert.Equal(["gateway.yaml:1:46: server.auth: 'none' runs the gateway without keys, which is only allowed on a loopback address, and server.listen is 'http://0.0.0.0:8080'; use http://127.0.0.1:<port> or configure keys"], errors);
    }

    [Fact]
    public void Keys_mode_without_any_key_is_an_error()
    {
        var errors = Errors(Valid.Replace(", auth: none", "", StringComparison.Ordinal));

        Assert.Equal(["gateway.yaml:1:1: keys: no gateway keys are configured, so no caller could be admitted; add keys, or set server.auth: none to run without keys on loopback"], errors);
    }

    [Fact]
    public void Secret_values_are_never_quoted_in_errors()
    {
        var errors = Errors("""
            server: { listen: http://127.0.0.1:8080 }
            providers: { demo: { type: mock } }
            endpoints: { chat: { targets: [ { provider: demo, model: m } ] } }
            keys:
              - { key: "${OPENAI_API_KEY}", user: a }
              - { key: "${OPENAI_API_KEY}", user: b }
              - { key: [ sk-secret-in-a-list-000 ], user: c }
            """);

        Assert.All(errors, e => Assert.DoesNotContain("sk-", e, StringComparison.Ordinal));
        Assert.Contains("gateway.yaml:6:12: keys[1].key: the same key is already configured at keys[0]", errors);
    }

    [Fact]
    public void Duplicate_hashed_and_plain_forms_of_the_same_key_are_caught()
    {
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("gw-plain-key-0123456789"u8));
        var errors = Errors($$"""
            server: { listen: http://127.0.0.1:8080 }
            providers: { demo: { type: mock } }
            endpoints: { chat: { targets: [ { provider: demo, model: m } ] } }
            keys:
              - { key: gw-plain-key-0123456789, user: a }
              - { key: "sha256:{{hash.ToUpperInvariant()}}", user: b }
            """);

        Assert.Equal(["gateway.yaml:6:12: keys[1].key: the same key is already configured at keys[0]"], errors);
    }

    [Fact]
    public void Tls_listen_and_bad_store_urls_are_explained()
    {
        var errors = Errors("""
            server: { listen: https://127.0.0.1:8443, auth: none }
            providers: { demo: { type: mock } }
            endpoints: { chat: { targets: [ { provider: demo, model: m } ] } }
            rate_limits: { store: "redis:/nohost" }
            tracking: { store: mysql://db/gateway, otlp: collector:4317 }
            """);

        Assert.Equal(
        [
            "gateway.yaml:1:19: server.listen: 'https://127.0.0.1:8443': the gateway listens on plain http; terminate TLS in front of it (ingress, load balancer)",
            "gateway.yaml:4:23: rate_limits.store: must be 'memory' or a redis://host:port URL",
            "gateway.yaml:5:20: tracking.store: must be sqlite:<path> or a postgres://user@host:port/database URL",
            "gateway.yaml:5:46: tracking.otlp: 'collector:4317' is not an absolute http(s) URL of an OTLP collector",
        ], errors);
    }

    [Fact]
    public void Tracking_settings_out_of_range_are_explained()
    {
        var errors = Errors("""
            server: { auth: none }
            providers: { demo: { type: mock } }
            endpoints: { chat: { capture: everything, targets: [ { provider: demo, model: m } ] } }
            tracking:
              batch_size: 20000
              queue_capacity: 10
              preview_chars: 0
              retention: { traces: 7d, bodies: 30d }
            """);

        Assert.Equal(
        [
            "gateway.yaml:3:31: endpoints.chat.capture: 'everything' is not one of none, preview, full",
            "gateway.yaml:5:15: tracking.batch_size: must be between 1 and 10000",
            "gateway.yaml:6:19: tracking.queue_capacity: must be at least batch_size (20000)",
            "gateway.yaml:7:18: tracking.preview_chars: must be between 1 and 1000000",
            "gateway.yaml:8:36: tracking.retention.bodies: cannot be longer than retention.traces: bodies live inside traces",
        ], errors);
    }
}
