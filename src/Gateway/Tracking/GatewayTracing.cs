using System.Diagnostics;
using System.Reflection;
using Gateway.Configuration;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tracking;

/// <summary>
/// The gateway's spans: one <see cref="ActivitySource"/>, listened to here so that every span a request's
/// activities make lands in its <see cref="RequestTrace"/> (the record the tracking store keeps), and listened
/// to by OpenTelemetry too when tracking.otlp is set, so the same spans go out over OTLP.
/// </summary>
internal sealed class GatewayTracing : IDisposable
{
    public const string SourceName = "Gateway";

    private static readonly string? Version = typeof(GatewayTracing).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    // One source per gateway instance (OpenTelemetry still finds it by name): two gateways in one process, as in
    // the tests, must not collect each other's spans.
    private readonly ActivitySource _source = new(SourceName, Version);
    private const string TraceProperty = "gateway.trace";
    private readonly ActivityListener? _listener;
    private readonly TimeProvider _time;

    public GatewayTracing(ConfigStore config, TimeProvider time)
    {
        _time = time;
        // Read at start-up: whether the store exists at all is not a hot-reload matter.
        Enabled = config.Current.Config.Tracking.Enabled;
        if (Enabled)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => ReferenceEquals(source, _source),
                Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = OnStopped,
            };
            ActivitySource.AddActivityListener(_listener);
        }
    }

    /// <summary>Whether requests leave traces in the store.</summary>
    public bool Enabled { get; }

    /// <summary>
    /// Starts the request's root span, continuing the caller's W3C trace when it sent a traceparent, and puts the
    /// request id on the response. Null when nothing listens (tracking off, no OTLP).
    /// </summary>
    public RequestTrace? Begin(HttpContext context, string operation)
    {
        if (!_source.HasListeners())
        {
            return null;
        }

        var headers = context.Request.Headers;
        if (!ActivityContext.TryParse(headers.TraceParent, headers.TraceState, isRemote: true, out var parent))
        {
            // No caller trace: this request starts one. (ASP.NET's own per-request activity, which exists when its
            // logging is on, is not exported; as a parent it would leave the trace pointing at a missing span.)
            Activity.Current = null;
        }

        var root = _source.StartActivity("gateway " + operation, ActivityKind.Server, parent);
        if (root is null)
        {
            return null;
        }

        var trace = new RequestTrace(root, operation, _time, Enabled);
        root.SetCustomProperty(TraceProperty, trace);
        context.Response.Headers[RequestTrace.RequestIdHeader] = trace.RequestId;
        return trace;
    }

    /// <summary>A stage of the current request as a child span; null when nothing listens.</summary>
    public Activity? StartSpan(string name, ActivityKind kind = ActivityKind.Internal) => _source.StartActivity(name, kind);

    public void Dispose()
    {
        _listener?.Dispose();
        _source.Dispose();
    }

    private static void OnStopped(Activity activity)
    {
        for (var current = activity; current is not null; current = current.Parent)
        {
            if (current.GetCustomProperty(TraceProperty) is RequestTrace trace)
            {
                trace.AddSpan(activity);
                return;
            }
        }
    }
}
