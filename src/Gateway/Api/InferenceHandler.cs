using System.Diagnostics;
using Gateway.Auth;
using Gateway.Configuration;
using Gateway.Errors;
using Gateway.Routing;
using Gateway.Tracking;
using Microsoft.AspNetCore.Http;

namespace Gateway.Api;

/// <summary>
/// The data plane for /v1 inference calls: authenticate, read and check the body once, resolve the endpoint
/// and hand over to the router, which picks targets and falls back; then hand the request's trace to the
/// writer. Later stages (limits, guardrails) slot in between these steps.
/// </summary>
internal sealed class InferenceHandler(ConfigStore store, RequestRouter router, GatewayTracing tracing, TraceWriter writer, TimeProvider time)
{
    public async Task HandleAsync(HttpContext context, EndpointKind kind)
    {
        // One snapshot for the whole request: a reload mid-request does not mix two configs.
        var snapshot = store.Current;
        var trace = tracing.Begin(context, kind.Name());
        RequestBody? body = null;
        try
        {
            body = await HandleAsync(context, kind, snapshot, trace);
        }
        finally
        {
            try
            {
                if (trace is not null)
                {
                    await EndTraceAsync(context, trace, snapshot, body);
                }
            }
            finally
            {
                body?.Dispose();
            }
        }
    }

    /// <summary>Serves the request; returns its body (still to be disposed) once read.</summary>
    private async Task<RequestBody?> HandleAsync(HttpContext context, EndpointKind kind, GatewaySnapshot snapshot, RequestTrace? trace)
    {
        CallerIdentity caller;
        using (var auth = tracing.StartSpan("auth"))
        {
            if (GatewayKeyAuthenticator.TryAuthenticate(context.Request, snapshot, out caller) is { } authError)
            {
                auth?.SetStatus(ActivityStatusCode.Error, authError.Code);
                await ErrorResponseWriter.WriteAsync(context, authError);
                return null;
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
            return null;
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
            return body;
        }

        if (trace is { Recorded: true })
        {
            // Every provider's answer reaches the client in OpenAI's format: one meter reads usage off all of them.
            var tracking = snapshot.Config.Tracking;
            var captureBytes = trace.Capture switch { "full" => (int)Math.Min(tracking.MaxCapture.Bytes, int.MaxValue), "preview" => tracking.PreviewChars * 4, _ => 0 };
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

            var meter = new ResponseMeter(response.Body, IsEventStream, time, captureBytes, strip);
            response.Body = meter;
            trace.Meter = meter;
            parsed = parsed with { UsageForTrace = parsed.UsageForTraceOnly };
        }

        await router.RouteAsync(context, caller, endpoint!, body, parsed);
        return body;
    }

    private async Task EndTraceAsync(HttpContext context, RequestTrace trace, GatewaySnapshot snapshot, RequestBody? body)
    {
        var root = trace.Root;
        var callerGone = context.RequestAborted.IsCancellationRequested;
        if (trace.Meter is { } meter)
        {
            try
            {
                await meter.CompleteAsync(context.RequestAborted);
            }
            catch (Exception exception) when (exception is OperationCanceledException or IOException)
            {
                callerGone = true;
            }
        }

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
        trace.Meter?.Release();
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
