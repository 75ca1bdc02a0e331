namespace Gateway.Tests.Configuration;

/// <summary>What each provider type needs in gateway.yaml: presets know their own defaults; Azure needs its endpoint and one credential.</summary>
public sealed class ProviderTypeValidationTests
{
    private static string[] Errors(string providerYaml) => ConfigValidationTests.Parse($$"""
        server: { listen: http://127.0.0.1:8080, auth: none }
        providers:
          p: {{providerYaml}}
        endpoints:
          chat:
            targets: [ { provider: p, model: some-model } ]
        """).FormattedErrors.ToArray();

    [Theory]
    [InlineData("groq", "GROQ_API_KEY")]
    [InlineData("mistral", "MISTRAL_API_KEY")]
    [InlineData("openrouter", "OPENROUTER_API_KEY")]
    public void Hosted_preset_without_a_key_names_the_variable_to_use(string type, string variable)
    {
        Assert.Equal([$"gateway.yaml:3:3: providers.p: missing required key 'api_key' (write api_key: ${{{variable}}})"], Errors($"{{ type: {type} }}"));
    }

    [Theory]
    [InlineData("{ type: ollama }")]
    [InlineData("{ type: vllm, base_url: \"http://10.0.0.7:8000/v1\" }")]
    [InlineData("{ type: deepseek, api_key: sk-deepseek-0123456789 }")]
    [InlineData("{ type: azure_openai, base_url: \"https://contoso.openai.azure.com\", api_key: azure-key-0123456789 }")]
    [InlineData("{ type: azure_openai, base_url: \"https://contoso.openai.azure.com\", bearer_token: entra-token-0123456789, api_version: 2025-01-01-preview }")]
    [InlineData("{ type: bedrock, region: us-east-1 }")]
    [InlineData("{ type: bedrock, region: eu-central-1, api_key: bedrock-api-key-0123456789 }")]
    [InlineData("{ type: bedrock, region: us-gov-west-1, aws_access_key_id: AKIA0123456789, aws_secret_access_key: s3cr3t-0123456789, aws_session_token: tok-0123456789 }")]
    public void Provider_with_what_its_type_needs_is_valid(string providerYaml)
    {
        Assert.Empty(Errors(providerYaml));
    }

    [Fact]
    public void Anthropic_needs_a_key_and_serves_chat_endpoints_only()
    {
        var errors = ConfigValidationTests.Parse("""
            server: { listen: http://127.0.0.1:8080, auth: none }
            providers:
              claude: { type: anthropic }
            endpoints:
              embed:
                type: embeddings
                targets: [ { provider: claude, model: claude-sonnet-4-5 } ]
            """).FormattedErrors;

        Assert.Equal(
        [
            "gateway.yaml:3:3: providers.claude: missing required key 'api_key' (write api_key: ${ANTHROPIC_API_KEY})",
            "gateway.yaml:7:28: endpoints.embed.targets[0].provider: provider 'claude' (anthropic) serves chat only, not embeddings endpoints",
        ], errors);
    }

    [Fact]
    public void Gemini_needs_a_key_and_serves_chat_and_embeddings_but_not_completions()
    {
        var errors = ConfigValidationTests.Parse("""
            server: { listen: http://127.0.0.1:8080, auth: none }
            providers:
              google: { type: gemini }
            endpoints:
              embed:
                type: embeddings
                targets: [ { provider: google, model: gemini-embedding-001 } ]
              complete:
                type: completions
                targets: [ { provider: google, model: gemini-2.5-flash } ]
            """).FormattedErrors;

        Assert.Equal(
        [
            "gateway.yaml:3:3: providers.google: missing required key 'api_key' (write api_key: ${GEMINI_API_KEY})",
            "gateway.yaml:10:28: endpoints.complete.targets[0].provider: provider 'google' (gemini) serves chat and embeddings, not completions endpoints",
        ], errors);
    }

    [Theory]
    [InlineData("{ type: bedrock }", "gateway.yaml:3:3: providers.p: missing required key 'region' (the AWS region, such as us-east-1)")]
    [InlineData("{ type: bedrock, region: US East }", "gateway.yaml:3:31: providers.p.region: 'US East' is not an AWS region (such as us-east-1 or eu-central-1)")]
    [InlineData("{ type: bedrock, region: us-east-1, aws_access_key_id: AKIA0123456789 }", "gateway.yaml:3:3: providers.p: missing required key 'aws_secret_access_key' (it goes with aws_access_key_id)")]
    [InlineData("{ type: bedrock, region: us-east-1, api_key: k-0123456789, aws_access_key_id: AKIA0123456789, aws_secret_access_key: s-0123456789 }", "gateway.yaml:3:51: providers.p.api_key: give either api_key (a Bedrock API key) or aws_access_key_id and aws_secret_access_key, not both")]
    [InlineData("{ type: openai, api_key: sk-0123456789, region: us-east-1 }", "gateway.yaml:3:54: providers.p.region: only bedrock takes region")]
    public void Bedrock_credentials_and_region_are_checked(string providerYaml, string error)
    {
        Assert.Equal([error], Errors(providerYaml));
    }

    [Fact]
    public void Default_max_tokens_must_be_positive()
    {
        var errors = ConfigValidationTests.Parse("""
            server: { listen: http://127.0.0.1:8080, auth: none }
            providers:
              claude: { type: anthropic, api_key: sk-ant-0123456789 }
            endpoints:
              chat:
                default_max_tokens: 0
                targets: [ { provider: claude, model: claude-sonnet-4-5 } ]
            """).FormattedErrors;

        Assert.Equal(["gateway.yaml:6:25: endpoints.chat.default_max_tokens: 0 is not positive; it is the number of tokens an answer may use"], errors);
    }

    [Fact]
    public void Azure_without_endpoint_or_credential_says_what_to_write()
    {
        Assert.Equal(
        [
            "gateway.yaml:3:3: providers.p: missing required key 'base_url' (the resource endpoint, such as https://my-resource.openai.azure.com)",
            "gateway.yaml:3:3: providers.p: missing required key 'api_key' (write api_key: ${AZURE_OPENAI_API_KEY}, or bearer_token: ${AZURE_OPENAI_TOKEN} for Microsoft Entra ID)",
        ], Errors("{ type: azure_openai }"));
    }

    [Fact]
    public void Azure_with_both_credentials_or_a_malformed_version_is_rejected()
    {
        Assert.Equal(
        [
            "gateway.yaml:3:119: providers.p.bearer_token: give either api_key or bearer_token, not both",
            "gateway.yaml:3:135: providers.p.api_version: '2024-10' is not an Azure OpenAI API version (a date such as 2024-10-21, optionally with -preview)",
        ], Errors("{ type: azure_openai, base_url: \"https://contoso.openai.azure.com\", api_key: azure-key-0123456789, bearer_token: t, api_version: 2024-10 }"));
    }

    [Fact]
    public void Bearer_token_and_api_version_belong_to_azure_only()
    {
        Assert.Equal(
        [
            "gateway.yaml:3:60: providers.p.bearer_token: only azure_openai takes a bearer_token; other providers take api_key",
            "gateway.yaml:3:76: providers.p.api_version: only azure_openai, anthropic and gemini take an api_version",
        ], Errors("{ type: openai, api_key: sk-0123456789, bearer_token: t, api_version: 2024-10-21 }"));
    }
}
