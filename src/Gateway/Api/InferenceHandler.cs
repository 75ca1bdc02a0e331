using System.Diagnostics;
using Gateway.Auth;
using Gateway.Configuration;
using Gateway.Errors;
using Gateway.Guardrails;
using Gateway.RateLimiting;
using Gateway.Routing;
using Gateway.Tracking;
using Microsoft.AspNetCore.Http;

namespace Gateway.Api;

/// <summary>
/// The data plane for /v1 inference calls: authenticate, read and check the body once, resolve the endpoint
/// and hand over to the router, which picks targets and falls back; then hand the request's trace to the
/// writer. Rate limits are decided after the endpoint is known and settled once the answer is complete.
/// </summary>
internal sealed class InferenceHandler(ConfigStore store, RequestRouter router, GatewayTracing tracing, TraceWriter writer, GatewayRateLimiter limiter, GuardrailTelemetry guardrailTelemetry, TimeProvider time)
{
    public async Task HandleAsync(HttpContext context, EndpointKind kind)
    {
        // One snapshot for the whole request: a reload mid-request does not mix two configs.
        var snapshot = store.Current;
        var trace = tracing.Begin(context, kind.Name());
        Handled handled = default;
        try
        {
            handled = await HandleAsync(context, kind, snapshot, trace);
        }
        finally
        {
            try
            {
                // The answer is complete: usage is known now, for the limits' settlement and the trace.
                // (An exception out of the router leaves the meter on the trace only.)
                var meter = handled.Meter ?? trace?.Meter;
                var callerGone = meter is not null && !await TryCompleteAsync(meter.CompleteAsync, context.RequestAborted);
                if (handled.Guard is { } guard)
                {
                    callerGone |= !await TryCompleteAsync(guard.CompleteAsync, context.RequestAborted);
                    TagResponseGuardrails(handled.Guardrails!, guard);
                    guardrailTelemetry.Record(handled.Guardrails!, GuardrailDirection.Response);
                }
                if (handled.Lease is { HasLimits: true } lease)
                {
                    var target = trace?.Target;
                    var failed = context.Response.StatusCode >= 400 || trace?.Error is not null;
                    lease.Settle(snapshot.Config, meter?.Usage, failed, target?.Provider, target?.Model, meter?.Model);
                }

                if (trace is not null)
                {
                    await EndTraceAsync(context, trace, snapshot, handled.Body, callerGone, handled.Guardrails?.Guardrails);
                }

                meter?.Release();
            }
            finally
            {
                handled.Body?.Dispose();
            }
        }
    }

    /// <summary>
    /// What a request left behind for its end: its body (still to be disposed), its limit lease, the meter on its
    /// answer, and its guardrails' run with the guard on its answer.
    /// </summary>
    private readonly record struct Handled(RequestBody? Body, LimitLease? Lease = null, ResponseMeter? Meter = null, GuardrailRun? Guardrails = null, ResponseGuard? Guard = null);

    /// <summary>Sends what a stream on the answer still holds; false when the caller has gone meanwhile.</summary>
    private static async Task<bool> TryCompleteAsync(Func<CancellationToken, ValueTask> complete, CancellationToken cancellationToken)
    {
        try
        {
            await complete(cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            return false;
        }
    }

    /// <summary>Serves the request.</summary>
    private async Task<Handled> HandleAsync(HttpContext context, EndpointKind kind, GatewaySnapshot snapshot, RequestTrace? trace)
    {
        CallerIdentity caller;
        using (var auth = tracing.StartSpan("auth"))
        {
            if (GatewayKeyAuthenticator.TryAuthenticate(context.Request, snapshot, out caller) is { } authError)
            {
                auth?.SetStatus(ActivityStatusCode.Error, authError.Code);
                await ErrorResponseWriter.WriteAsync(context, authError);
                return default;
            }

            auth?.SetTag("gateway.key_id", caller.KeyId);
        }

        if (trace is not null)
        {
            trace.Caller = caller;
        }

        var (body, bodyError) = await RequestBody.ReadAsync(context.Request, snapshot.Config.Server.MaxBodySize.Bytes, context.RequestAborted);
        if (body is null)
        {
            await ErrorResponseWriter.WriteAsync(context, bodyError!);
            return default;
        }

        var error = Route(snapshot, caller, body, kind, out var endpoint, out var parsed);
        if (trace is not null)
        {
            trace.Endpoint = endpoint?.Name ?? (parsed.Model is { Length: > 0 and <= 256 } asked ? asked : null);
            trace.Stream = parsed.Stream;
            trace.Capture = endpoint?.Config.Capture ?? snapshot.Config.Tracking.Capture;
        }

        if (error is not null)
        {
            await ErrorResponseWriter.WriteAsync(context, error);
            return new Handled(body);
        }

        var limits = limiter.Table(snapshot.Config).For(endpoint!.Name, caller);
        LimitLease? lease = null;
        if (limits.Limits.Length > 0)
        {
            lease = await LimitAsync(context, snapshot, caller, endpoint, kind, body, parsed);
            if (!lease.IsAcquired)
            {
                return new Handled(body, lease);
            }
        }

        GuardrailRun? guardrails = null;
        ResponseGuard? guard = null;
        if (snapshot.Guardrails.For(endpoint.Name) is { } endpointGuardrails)
        {
            guardrails = new GuardrailRun(endpointGuardrails, endpoint.Name);
            if (endpointGuardrails.OnRequest)
            {
                var masked = GuardRequest(kind, body, guardrails, out var blocked);
                guardrailTelemetry.Record(guardrails, GuardrailDirection.Request);
                if (blocked is not null)
                {
                    await ErrorResponseWriter.WriteAsync(context, blocked);
                    return new Handled(body, lease, Guardrails: guardrails);
                }

                if (masked)
                {
                    // The masked body moved the model's token: read it again (the same request, so it reads).
                    _ = OpenAiRequestReader.TryRead(body.Span, kind, out parsed);
                }
            }

            if (guardrails.WatchesResponse && kind != EndpointKind.Embeddings)
            {
                // Inside the meter: the meter sees the provider's answer (placeholders, usage), the caller the restored one.
                guard = new ResponseGuard(context.Response.Body, context.Response, guardrails, kind);
                context.Response.Body = guard;
            }
        }

        ResponseMeter? meter = null;
        if (trace is { Recorded: true } || limits.NeedsUsage)
        {
            // Every provider's answer reaches the client in OpenAI's format: one meter reads usage off all of them.
            var tracking = snapshot.Config.Tracking;
            var capture = trace is { Recorded: true } ? trace.Capture : "none"; // a meter only for limits keeps no text
            var captureBytes = capture switch { "full" => (int)Math.Min(tracking.MaxCapture.Bytes, int.MaxValue), "preview" => tracking.PreviewChars * 4, _ => 0 };
            var response = context.Response;
            var strip = parsed.UsageForTraceOnly;
            bool IsEventStream()
            {
                var sse = response.ContentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true;
                if (sse && strip)
                {
                    response.ContentLength = null; // a chunk is kept back: a declared length would no longer hold
                }

                return sse;
            }

            meter = new ResponseMeter(response.Body, IsEventStream, time, captureBytes, strip);
            response.Body = meter;
            trace?.Meter = meter;
            parsed = parsed with { UsageForTrace = parsed.UsageForTraceOnly };
        }

        await router.RouteAsync(context, caller, endpoint, body, parsed);
        return new Handled(body, lease, meter, guardrails, guard);
    }

    /// <summary>Runs the request guardrails over the body, masking it in place; true when it changed. <paramref name="blocked"/>: the 400 when one blocked it.</summary>
    private bool GuardRequest(EndpointKind kind, RequestBody body, GuardrailRun run, out GatewayError? blocked)
    {
        using var span = tracing.StartSpan("guardrail.request");
        var masked = RequestGuard.Apply(body, kind, run);
        run.Tag(span, GuardrailDirection.Request);
        blocked = null;
        if (run.Blocked(GuardrailDirection.Request))
        {
            blocked = GatewayErrors.GuardrailBlocked(run.BlockedBy!, run.BlockedEntities(GuardrailDirection.Request), run.BlockedAt);
            span?.SetStatus(ActivityStatusCode.Error, blocked.Code);
        }

        return masked;
    }

    /// <summary>The answer's guardrail span, made when the answer is complete; it carries the time the guard spent on it.</summary>
    private void TagResponseGuardrails(GuardrailRun run, ResponseGuard guard)
    {
        using var span = tracing.StartSpan("guardrail.response");
        run.Tag(span, GuardrailDirection.Response);
        span?.SetTag("gateway.guardrail.busy_ms", Math.Round(guard.Busy.TotalMilliseconds, 3));
    }

    /// <summary>Checks and charges every limit that applies, in one store call; on refusal writes the 429 (or the 503).</summary>
    private async Task<LimitLease> LimitAsync(HttpContext context, GatewaySnapshot snapshot, CallerIdentity caller, RoutedEndpoint endpoint, EndpointKind kind, RequestBody body, ParsedRequest parsed)
    {
        using var span = tracing.StartSpan("rate_limit");
        var request = new LimitRequest(snapshot.Config, caller, endpoint.Name, kind.Name(), body.Memory, parsed.MaxOutputTokens);
        var lease = (LimitLease)await limiter.AcquireAsync(request, permitCount: 1, context.RequestAborted);
        span?.SetTag("gateway.rate_limit.store", lease.StoreName);
        RateLimitHeaders.Register(context.Response, lease);
        if (lease.IsAcquired)
        {
            span?.SetTag("gateway.rate_limit.outcome", "allowed");
            if (lease.ReservedTokens > 0)
            {
                span?.SetTag("gateway.rate_limit.reserved_tokens", lease.ReservedTokens);
            }

            return lease;
        }

        GatewayError error;
        if (lease.StoreDownReason is { } reason)
        {
            span?.SetTag("gateway.rate_limit.outcome", "store_down");
            error = GatewayErrors.RateLimitStoreUnavailable(reason);
        }
        else
        {
            var denied = lease.DeniedLimit!;
            span?.SetTag("gateway.rate_limit.outcome", "limited");
            span?.SetTag("gateway.rate_limit.scope", denied.Scope);
            span?.SetTag("gateway.rate_limit.kind", denied.Kind.Name());
            error = GatewayErrors.RateLimited(denied, lease.DeniedAmount, lease.RetryAfter);
        }

        span?.SetStatus(ActivityStatusCode.Error, error.Code);
        await ErrorResponseWriter.WriteAsync(context, error);
        return lease;
    }

    private async Task EndTraceAsync(HttpContext context, RequestTrace trace, GatewaySnapshot snapshot, RequestBody? body, bool meterCallerGone, EndpointGuardrails? guardrails)
    {
        var root = trace.Root;
        var callerGone = meterCallerGone || context.RequestAborted.IsCancellationRequested;
        var status = callerGone && trace.Error is null ? StatusCodes.Status499ClientClosedRequest : context.Response.StatusCode;
        var usage = trace.Meter?.Usage;
        root.SetTag("http.response.status_code", status);
        if (trace.Endpoint is { } endpointName)
        {
            root.DisplayName = $"{trace.Operation} {endpointName}";
            root.SetTag("gateway.endpoint", endpointName);
        }

        if (trace.Caller is { } caller)
        {
            root.SetTag("gateway.user", caller.User);
            root.SetTag("gateway.key_id", caller.KeyId);
        }

        if (usage is { } counts)
        {
            root.SetTag("gen_ai.usage.input_tokens", counts.PromptTokens);
            root.SetTag("gen_ai.usage.output_tokens", counts.CompletionTokens);
        }

        var error = trace.Error?.Code ?? trace.Meter?.StreamError ?? (callerGone ? "client_disconnected" : null);
        if (status >= 400 || error is not null)
        {
            root.SetStatus(ActivityStatusCode.Error, error);
            root.SetTag("error.type", error ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        root.Stop();
        if (!trace.Recorded)
        {
            return; // only OTLP listens: there is no meter
        }

        var config = snapshot.Config;
        var capture = trace.Capture ?? config.Tracking.Capture; // none set: the request ended before its endpoint was known
        var target = trace.Target;
        var price = Pricing.Find(config, target?.Provider, target?.Model, trace.Meter?.Model);
        if (callerGone && trace.Error is null)
        {
            trace.Error = GatewayErrors.ClientDisconnected();
        }

        var record = trace.Build(status, config.Tracking, capture, price, body?.Memory ?? default);
        if (guardrails is not null && (record.RequestBody is not null || record.ResponseBody is not null))
        {
            // Traces never keep what the endpoint's guardrails look for, whatever they did with it (log included);
            // the writer redacts, off the request path.
            record = record with { RedactBodies = guardrails.Redact };
        }

        await writer.EnqueueAsync(record);
    }

    private static GatewayError? Route(GatewaySnapshot snapshot, CallerIdentity caller, RequestBody body, EndpointKind kind, out RoutedEndpoint? endpoint, out ParsedRequest parsed)
    {
        endpoint = null;
        var error = OpenAiRequestReader.TryRead(body.Span, kind, out parsed);
        if (error is not null)
        {
            return error;
        }

        var endpoints = snapshot.Routes.Endpoints;
        if (!endpoints.TryGetValue(parsed.Model, out endpoint))
        {
            return GatewayErrors.EndpointNotFound(parsed.Model, endpoints.Keys.Where(caller.MayCall));
        }

        if (!caller.MayCall(endpoint.Name))
        {
            return GatewayErrors.EndpointNotAllowed(endpoint.Name);
        }

        return endpoint.Kind != kind
            ? GatewayErrors.WrongEndpointKind(endpoint.Name, endpoint.Kind.Name(), InferencePaths.Prefix + endpoint.Kind.Operation())
            : null;
    }
}
