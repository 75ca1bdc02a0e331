using System.Diagnostics.Metrics;
using System.Net;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using OpenAI.Chat;

namespace Gateway.Tests.Guardrails;

/// <summary>Guardrails as an operator sees them: findings and blocks in the metrics, and gateway.yaml reloaded live.</summary>
public sealed class GuardrailGatewayOperationsTests : GuardrailGatewayTest
{
    [Fact]
    public async Task Findings_and_blocks_are_counted_by_guardrail_entity_and_action()
    {
        var meters = Gateway.Services.GetRequiredService<IMeterFactory>();
        using var findings = new MetricCollector<long>(meters, "Gateway.Guardrails", "gateway.guardrail.findings");
        using var blocked = new MetricCollector<long>(meters, "Gateway.Guardrails", "gateway.guardrail.blocked");

        await Chat("chat").CompleteChatAsync([new UserChatMessage($"Mail {Email} or help@corp.example")]);
        using (await Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat-block", $"Card {Card}"), TestConfigs.AliceKey)))
        {
        }

        var masked = Assert.Single(findings.GetMeasurementSnapshot(), m => (string?)m.Tags["guardrail"] == "pii");
        Assert.Equal(2, masked.Value);
        Assert.Equal(("EMAIL", "mask", "request"), ((string?)masked.Tags["entity"], (string?)masked.Tags["action"], (string?)masked.Tags["direction"]));
        var block = Assert.Single(blocked.GetMeasurementSnapshot());
        Assert.Equal(("blocker", "request"), ((string?)block.Tags["guardrail"], (string?)block.Tags["direction"]));
    }

    [Fact]
    public async Task Guardrail_config_reloads_without_a_restart()
    {
        using (var before = await Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat-log", $"I am {Email}"), TestConfigs.AliceKey)))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var outcome = await Gateway.RewriteConfigAsync(Config(chatLogAction: "block"));
        Assert.True(outcome.Applied, string.Join("\n", outcome.Errors));

        using var after = await Gateway.Client.SendAsync(Http.Post("/v1/chat/completions", Http.Chat("chat-log", $"I am {Email}"), TestConfigs.AliceKey));
        Assert.Equal(HttpStatusCode.BadRequest, after.StatusCode);
        Assert.Equal("guardrail_blocked", (await Http.ReadErrorAsync(after)).Code);
    }
}
