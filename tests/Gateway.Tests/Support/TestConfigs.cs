namespace Gateway.Tests.Support;

/// <summary>gateway.yaml texts the functional tests start from.</summary>
internal static class TestConfigs
{
    public const string AliceKey = "gw-alice-0123456789abcdef";
    public const string BobKey = "gw-bob-0123456789abcdef01";
    public const string AdminKey = "gw-admin-0123456789abcdef";

    /// <summary>An OpenAI-compatible upstream and the mock behind keys: alice may call all, bob only "chat".</summary>
    public static string WithUpstream(Uri upstreamBaseUrl, string upstreamKey, string timeout = "30s", string maxBodySize = "1MB") => $$"""
        server:
          listen: http://127.0.0.1:8080
          max_body_size: {{maxBodySize}}
        providers:
          upstream: { type: openai_compatible, base_url: {{upstreamBaseUrl}}, api_key: {{upstreamKey}} }
          demo: { type: mock }
        endpoints:
          chat:
            type: chat
            targets: [ { provider: upstream, model: gpt-4o-mini } ]
            timeout: {{timeout}}
          legacy:
            type: completions
            targets: [ { provider: upstream, model: gpt-3.5-turbo-instruct } ]
          embed:
            type: embeddings
            targets: [ { provider: upstream, model: text-embedding-3-small } ]
          mock-chat:
            type: chat
            targets: [ { provider: demo, model: mock-1 } ]
        keys:
          - { key: {{AliceKey}}, user: alice, groups: [marketing] }
          - { key: {{BobKey}}, user: bob, endpoints: [chat] }
          - { key: {{AdminKey}}, user: root, role: admin }
        groups:
          marketing: {}
        """;

    /// <summary>The quick-start shape: mock only, no keys, loopback.</summary>
    public const string MockOnly = """
        server: { listen: http://127.0.0.1:8080, auth: none }
        providers:
          demo: { type: mock }
        endpoints:
          chat: { type: chat, targets: [ { provider: demo, model: mock-chat } ] }
          completions: { type: completions, targets: [ { provider: demo, model: mock-complete } ] }
          embeddings: { type: embeddings, targets: [ { provider: demo, model: mock-embed } ] }
        """;
}
