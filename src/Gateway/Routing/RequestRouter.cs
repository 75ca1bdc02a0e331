using System.Diagnostics;
using Gateway.Auth;
using Gateway.Core;
using Gateway.Errors;
using Gateway.Providers;
using Gateway.Providers.Upstream;
using Gateway.Routing.Resilience;
using Gateway.Streaming;
using Gateway.Tracking;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace Gateway.Routing;

/// <summary>
/// Keeps an agent answered while any target is healthy: picks the target (by weight, or sticky per user), then
/// tries it, retrying per the endpoint's policy, through the target's circuit breaker; when it fails before the
/// answer starts, moves down the fallback chain (or to the context-length or content-policy fallbacks); gives
/// up when the conditions say so or the deadline passes, and then answers with the most informative error and
/// the list of attempts. Once an answer has started it is never replayed to another model.
/// </summary>
internal sealed partial class RequestRouter(TimeProvider time, Random random, GatewayTracing tracing, ILogger<RequestRouter> logger)
{
    public const string ProviderHeader = "x-gateway-provider";
    public const string ModelHeader = "x-gateway-model";
    public const string AttemptsHeader = "x-gateway-attempts";

    /// <summary>Less of the deadline than this left: no further attempt is started.</summary>
    private static readonly TimeSpan MinimumAttemptTime = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Serves the request from the endpoint's targets. The outcome's error is what the caller must get (every
    /// target failed, or none could serve it) or, once the answer had started, what broke it; null when served.
    /// </summary>
    public async Task<RouteOutcome> RouteAsync(RouteRequest request)
    {
        var (context, caller, endpoint) = (request.Http, request.Caller, request.Endpoint);
        var log = new AttemptLog();
        var started = time.GetTimestamp();
        var plan = endpoint.Plan(endpoint.PickTarget(endpoint.Sample(caller.User, random)));
        var switched = false;
        var failures = new List<GatewayError>();
        for (var i = 0; i < plan.Count; i++)
        {
            var remaining = endpoint.Config.Deadline - time.GetElapsedTime(started);
            if (remaining < MinimumAttemptTime)
            {
                break; // what is left could not even connect; timers firing a hair early must not start another
            }

            var result = await TryTargetAsync(request, plan[i], log, started);
            switch (result.Status)
            {
                case AttemptStatus.Served or AttemptStatus.CallerGone:
                    return new RouteOutcome(null, log.Target, log.Calls);
                case AttemptStatus.BrokeAfterStart or AttemptStatus.Refused:
                    return new RouteOutcome(result.Error, log.Target, log.Calls);
            }

            if (result.Error is not { } error)
            {
                continue; // skipped: its circuit is open
            }

            failures.Add(error);
            var kind = FailureConditions.Classify(error);
            var special = kind switch
            {
                FailureKind.ContextLength => endpoint.ContextLengthFallbacks,
                FailureKind.ContentPolicy => endpoint.ContentPolicyFallbacks,
                _ => [],
            };
            if (!switched && special.Count > 0)
            {
                // The prompt is too long (or refused) here: only the targets meant for that are worth trying now.
                switched = true;
                plan.RemoveRange(i + 1, plan.Count - i - 1);
                plan.AddRange(special);
                continue;
            }

            if (!endpoint.FallbackOn.Matches(error))
            {
                break;
            }
        }

        return new RouteOutcome(FinalError(context, log, failures, endpoint, time.GetElapsedTime(started)), log.Target, log.Calls);
    }

    /// <summary>One target: its retries, each through its circuit breaker. A failure with no error: skipped, its circuit open.</summary>
    private async Task<AttemptResult> TryTargetAsync(RouteRequest request, RouteTarget target, AttemptLog log, long requestStarted)
    {
        var (context, endpoint) = (request.Http, request.Endpoint);
        // Only retry delays wait on the deadline's token (each attempt bounds its own first-byte wait by it), so
        // an endpoint without retries needs no timer for it.
        var remaining = endpoint.Config.Deadline - time.GetElapsedTime(requestStarted);
        using var deadline = endpoint.Retries ? new CancellationTokenSource(remaining, time) : null;
        // The pipelines run with state passed in, not closures: this runs for every request.
        var run = new TargetRun(this, request, target, log, requestStarted);
        var resilience = ResilienceContextPool.Shared.Get(deadline?.Token ?? CancellationToken.None);
        try
        {
            return await endpoint.Retry.ExecuteAsync(
                static (resilience, run) => run.Target.Circuit.Pipeline.ExecuteAsync(static (_, run) => run.AttemptAsync(), resilience, run),
                resilience,
                run);
        }
        catch (BrokenCircuitException)
        {
            log.Add(new AttemptRecord(target.ProviderName, target.Model, "skipped", null, null, TimeSpan.Zero));
            Log.CircuitOpenSkipped(logger, target.ProviderName, target.Model, endpoint.Name);
            return run.Last ?? new AttemptResult(AttemptStatus.Failed);
        }
        catch (OperationCanceledException) when (deadline?.IsCancellationRequested == true && !context.RequestAborted.IsCancellationRequested)
        {
            // The deadline ran out while waiting to retry: what the last attempt said stands.
            return run.Last ?? new AttemptResult(AttemptStatus.Failed);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilience);
        }
    }

    /// <summary>Everything one target's attempts need, handed to the pipelines as their state.</summary>
    private sealed class TargetRun(RequestRouter router, RouteRequest request, RouteTarget target, AttemptLog log, long requestStarted)
    {
        public RouteTarget Target => target;

        /// <summary>The latest attempt's result: what stands when a retry is cut short.</summary>
        public AttemptResult? Last { get; private set; }

        public async ValueTask<AttemptResult> AttemptAsync() =>
            Last = await router.AttemptAsync(request, target, log, requestStarted);
    }

    private async Task<AttemptResult> AttemptAsync(RouteRequest request, RouteTarget target, AttemptLog log, long requestStarted)
    {
        var (context, endpoint) = (request.Http, request.Endpoint);
        // No attempt waits for its answer to start past the endpoint's deadline.
        var timeouts = endpoint.Timeouts(target);
        var remaining = endpoint.Config.Deadline - time.GetElapsedTime(requestStarted);
        if (remaining < timeouts.FirstByte)
        {
            timeouts = timeouts with { FirstByte = remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1) };
        }

        var headers = context.Response.Headers;
        headers[ProviderHeader] = target.ProviderName;
        headers[ModelHeader] = target.Model;
        headers[AttemptsHeader] = (log.Calls + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var attempt = new UpstreamAttempt(target.ProviderName, target.Model, timeouts);
        using var span = StartAttemptSpan(endpoint, target, log.Calls + 1);
        var started = time.GetTimestamp();
        var result = await target.Provider.SendAsync(new ProviderCall(context, request.Caller, endpoint.Kind, endpoint.Config, target.Call, request.Body, request.Parsed, attempt,
            request.Relay, request.Inbound));
        var latency = time.GetElapsedTime(started);
        var outcome = result.Status switch
        {
            AttemptStatus.Served => "served",
            AttemptStatus.BrokeAfterStart => "broken",
            AttemptStatus.Refused => "refused",
            AttemptStatus.CallerGone => "caller_gone",
            _ => "failed",
        };
        var status = result.Error?.Status ?? (result.Status == AttemptStatus.Served ? context.Response.StatusCode : null);
        log.Add(new AttemptRecord(target.ProviderName, target.Model, outcome, status, result.Error?.Code, latency));
        log.Target = new TargetName(target.ProviderName, target.ProviderType, target.Model);
        if (span is not null)
        {
            EndAttemptSpan(span, request.Meter, outcome, status, result.Error, started);
        }
        if (result.Status is not (AttemptStatus.Refused or AttemptStatus.CallerGone))
        {
            target.Circuit.Record(latency, TargetCircuit.IsTargetFailure(result));
        }

        if (result.Status == AttemptStatus.Failed)
        {
            Log.AttemptFailed(logger, target.ProviderName, target.Model, endpoint.Name, result.Error!.Status, result.Error.Code ?? "", latency.TotalMilliseconds);
        }

        return result;
    }

    /// <summary>A provider call as an OpenTelemetry GenAI client span: "{operation} {model}".</summary>
    private Activity? StartAttemptSpan(RoutedEndpoint endpoint, RouteTarget target, int attempt)
    {
        var operation = endpoint.Kind switch { EndpointKind.Chat => "chat", EndpointKind.Completions => "text_completion", _ => "embeddings" };
        var span = tracing.StartSpan(operation + " " + target.Model, ActivityKind.Client);
        if (span is null)
        {
            return null;
        }

        var system = GenAiSystem(target.ProviderType);
        span.SetTag("gen_ai.operation.name", operation);
        span.SetTag("gen_ai.system", system);
        span.SetTag("gen_ai.provider.name", system);
        span.SetTag("gen_ai.request.model", target.Model);
        span.SetTag("gateway.provider", target.ProviderName);
        span.SetTag("gateway.attempt", attempt);
        return span;
    }

    private void EndAttemptSpan(Activity span, ResponseMeter? meter, string outcome, int? status, GatewayError? error, long started)
    {
        span.SetTag("gateway.outcome", outcome);
        if (status is { } code)
        {
            span.SetTag("http.response.status_code", code);
        }

        if (meter is not null && outcome is "served" or "broken")
        {
            if (meter.Model is { } answered)
            {
                span.SetTag("gen_ai.response.model", answered);
            }

            if (meter.FirstByteTimestamp is { } first && first >= started)
            {
                span.SetTag("gateway.time_to_first_token_ms", time.GetElapsedTime(started, first).TotalMilliseconds);
            }
        }

        if (error is not null)
        {
            span.SetStatus(ActivityStatusCode.Error, error.Code);
            span.SetTag("error.type", error.Code ?? error.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>gen_ai.system values from the OpenTelemetry GenAI conventions for each provider type.</summary>
    private static string GenAiSystem(string providerType) => providerType switch
    {
        "azure_openai" => "azure.ai.openai",
        "gemini" => "gcp.gemini",
        "bedrock" => "aws.bedrock",
        "anthropic" or "openai" or "mock" => providerType,
        _ => providerType, // OpenAI-compatible servers (ollama, vllm, …) by their own name
    };

    /// <summary>
    /// Every target failed (or was skipped): the most informative of their errors, with the attempts listed.
    /// A provider's own answer (a 429 with its Retry-After, a 400 about the prompt) says more than our timeout.
    /// </summary>
    private static GatewayError FinalError(HttpContext context, AttemptLog log, List<GatewayError> failures, RoutedEndpoint endpoint, TimeSpan elapsed)
    {
        var headers = context.Response.Headers;
        headers[AttemptsHeader] = log.Calls.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (failures.Count == 0)
        {
            headers.Remove(ProviderHeader);
            headers.Remove(ModelHeader);
            return log.Attempts.Count > 0
                ? GatewayErrors.NoTargetAvailable(endpoint.Name, string.Join("; ", log.Attempts))
                : GatewayErrors.DeadlineExceeded(endpoint.Name, endpoint.Config.Deadline);
        }

        var best = failures.OrderByDescending(Informativeness).ThenByDescending(failures.IndexOf).First();
        if (log.Attempts.Count == 1)
        {
            return best; // one attempt: its error exactly as it was
        }

        var attempts = string.Join("; ", log.Attempts);
        var deadline = elapsed >= endpoint.Config.Deadline ? " The endpoint deadline ran out." : "";
        return best with { Message = $"{best.Message} (attempts: {attempts}.{deadline})", RawBody = null };
    }

    private static int Informativeness(GatewayError error) => FailureConditions.Classify(error) switch
    {
        FailureKind.ContextLength or FailureKind.ContentPolicy => 5,
        _ when error.Code is "upstream_auth_failed" or "upstream_protocol_error" => 2,
        FailureKind.Status => 4,
        FailureKind.Timeout => 3,
        _ => 1,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 3101, EventName = "AttemptFailed", Level = LogLevel.Information,
            Message = "Attempt at {Provider}/{Model} for endpoint {Endpoint} failed with {Status} {Code} after {LatencyMs} ms")]
        public static partial void AttemptFailed(ILogger logger, string provider, string model, string endpoint, int status, string code, double latencyMs);

        [LoggerMessage(EventId = 3102, EventName = "CircuitOpenSkipped", Level = LogLevel.Information,
            Message = "Skipped {Provider}/{Model} for endpoint {Endpoint}: its circuit is open")]
        public static partial void CircuitOpenSkipped(ILogger logger, string provider, string model, string endpoint);
    }
}
