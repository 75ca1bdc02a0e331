using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Gateway.Guardrails;

/// <summary>
/// What guardrails found, for operators: the counter <c>gateway.guardrail.findings</c> (tags guardrail, entity,
/// action, direction) and <c>gateway.guardrail.blocked</c>, and an event for each block. Types and counts only,
/// never a value.
/// </summary>
internal sealed partial class GuardrailTelemetry
{
    private readonly ILogger<GuardrailTelemetry> _logger;
    private readonly Counter<long> _findings;
    private readonly Counter<long> _blocked;

    public GuardrailTelemetry(ILogger<GuardrailTelemetry> logger, IMeterFactory meters)
    {
        _logger = logger;
        var meter = meters.Create("Gateway.Guardrails");
        _findings = meter.CreateCounter<long>("gateway.guardrail.findings", "{finding}", "Entities guardrails found (tags: guardrail, entity, action, direction)");
        _blocked = meter.CreateCounter<long>("gateway.guardrail.blocked", "{request}", "Requests refused, or answers withheld, by a block guardrail (tags: guardrail, direction)");
    }

    /// <summary>One direction of a request has been through its guardrails.</summary>
    public void Record(GuardrailRun run, GuardrailDirection direction)
    {
        var way = direction == GuardrailDirection.Request ? "request" : "response";
        foreach (var (kind, count) in run.Counts(direction))
        {
            _findings.Add(count,
                new KeyValuePair<string, object?>("guardrail", kind.Guardrail),
                new KeyValuePair<string, object?>("entity", kind.Entity),
                new KeyValuePair<string, object?>("action", kind.Action.ToString().ToLowerInvariant()),
                new KeyValuePair<string, object?>("direction", way));
        }

        if (run.Blocked(direction))
        {
            _blocked.Add(1, new KeyValuePair<string, object?>("guardrail", run.BlockedBy), new KeyValuePair<string, object?>("direction", way));
            if (_logger.IsEnabled(LogLevel.Information))
            {
                var entities = string.Join(", ", run.BlockedEntities(direction));
                Blocked(_logger, run.BlockedBy!, way, run.Endpoint, entities);
            }
        }
    }

    [LoggerMessage(EventId = 8001, EventName = "GuardrailBlocked", Level = LogLevel.Information,
        Message = "Guardrail {Guardrail} blocked a {Direction} on endpoint {Endpoint}: it held {Entities}")]
    private static partial void Blocked(ILogger logger, string guardrail, string direction, string endpoint, string entities);
}
