using System.Collections.Frozen;

namespace Gateway.Providers.OpenAi;

/// <summary>
/// A provider that speaks OpenAI's wire format, with its defaults: where its API lives and whether it
/// needs a key. Every preset forwards bodies as bytes like <c>openai</c> does; base_url overrides the default.
/// </summary>
internal sealed record OpenAiPreset(string Type, string? DefaultBaseUrl, bool NeedsKey, string KeyVariable);

internal static class OpenAiPresets
{
    public const string OpenAi = "openai";
    public const string OpenAiCompatible = "openai_compatible";

    public static FrozenDictionary<string, OpenAiPreset> All { get; } = new OpenAiPreset[]
    {
        new(OpenAi, "https://api.openai.com/v1", NeedsKey: true, "OPENAI_API_KEY"),
        new(OpenAiCompatible, null, NeedsKey: false, "API_KEY"),
        new("mistral", "https://api.mistral.ai/v1", NeedsKey: true, "MISTRAL_API_KEY"),
        new("groq", "https://api.groq.com/openai/v1", NeedsKey: true, "GROQ_API_KEY"),
        new("together", "https://api.together.xyz/v1", NeedsKey: true, "TOGETHER_API_KEY"),
        new("deepseek", "https://api.deepseek.com/v1", NeedsKey: true, "DEEPSEEK_API_KEY"),
        new("fireworks", "https://api.fireworks.ai/inference/v1", NeedsKey: true, "FIREWORKS_API_KEY"),
        new("openrouter", "https://openrouter.ai/api/v1", NeedsKey: true, "OPENROUTER_API_KEY"),
        // Self-hosted servers: their usual local address, no key unless the operator set one up.
        new("ollama", "http://127.0.0.1:11434/v1", NeedsKey: false, "OLLAMA_API_KEY"),
        new("vllm", "http://127.0.0.1:8000/v1", NeedsKey: false, "VLLM_API_KEY"),
        new("lmstudio", "http://127.0.0.1:1234/v1", NeedsKey: false, "LMSTUDIO_API_KEY"),
    }.ToFrozenDictionary(p => p.Type, StringComparer.Ordinal);
}
