using System.Globalization;
using System.Text;
using System.Text.Json;
using Gateway.Auth;
using Gateway.Configuration;
using Gateway.Errors;
using Gateway.Tracking;
using Gateway.Tracking.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Usage;

/// <summary>
/// Reading the tracking store: GET /api/traces, /api/traces/{id} and /api/usage. Admin and finance keys see
/// everything; any other key sees only its own user's traces and usage.
/// </summary>
internal static partial class TrackingEndpoints
{
    private const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapTrackingEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/traces", ListTracesAsync).RequireGatewayKey();
        app.MapGet("/api/traces/{id}", GetTraceAsync).RequireGatewayKey();
        app.MapGet("/api/usage", GetUsageAsync).RequireGatewayKey();
        return app;
    }

    private static async Task ListTracesAsync(HttpContext context, GatewayCall call)
    {
        var access = Access.Of(call.Caller);

        var q = context.Request.Query;
        var error = ReadTimes(q, out var from, out var to);
        int? status = null;
        string? state = null;
        if (q["status"].ToString() is { Length: > 0 } statusText)
        {
            if (statusText.Equals("ok", StringComparison.OrdinalIgnoreCase) || statusText.Equals("error", StringComparison.OrdinalIgnoreCase))
            {
                state = statusText.ToUpperInvariant();
            }
            else if (int.TryParse(statusText, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and < 600)
            {
                status = code;
            }
            else
            {
                error ??= GatewayErrors.InvalidQuery("status", $"'{statusText}' is not ok, error or an HTTP status code");
            }
        }

        var limit = 50;
        if (q["limit"].ToString() is { Length: > 0 } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxPageSize))
        {
            error ??= GatewayErrors.InvalidQuery("limit", $"must be a whole number from 1 to {MaxPageSize}");
        }

        TraceCursor? before = null;
        if (q["cursor"].ToString() is { Length: > 0 } cursorText)
        {
            if (TraceCursor.TryParse(cursorText, out var cursor))
            {
                before = cursor;
            }
            else
            {
                error ??= GatewayErrors.InvalidQuery("cursor", "is not a next_cursor this API gave");
            }
        }

        var user = Text(q, "user");
        if (access.OnlyUser is { } own)
        {
            if (user is not null && user != own)
            {
                error ??= GatewayErrors.OwnDataOnly(own);
            }

            user = own;
        }

        if (error is not null)
        {
            await ErrorResponseWriter.WriteAsync(context, error);
            return;
        }

        var query = new TraceQuery
        {
            From = from,
            To = to,
            Endpoint = Text(q, "endpoint"),
            User = user,
            Group = Text(q, "group"),
            Model = Text(q, "model"),
            Provider = Text(q, "provider"),
            State = state,
            StatusCode = status,
            TraceId = Text(q, "trace_id"),
            Limit = limit,
            Before = before,
        };
        await WithStoreAsync(context, access, async store =>
        {
            var page = await store.QueryAsync(query, context.RequestAborted);
            await WriteJsonAsync(context, json =>
            {
                json.WriteStartObject();
                json.WriteStartArray("traces");
                foreach (var trace in page.Traces)
                {
                    JsonSerializer.Serialize(json, trace, TrackingJson.Default.TraceRecord);
                }

                json.WriteEndArray();
                if (page.Next is { } next)
                {
                    json.WriteString("next_cursor", next.ToString());
                }
                else
                {
                    json.WriteNull("next_cursor");
                }

                json.WriteEndObject();
            });
        });
    }

    private static async Task GetTraceAsync(HttpContext context, string id, GatewayCall call)
    {
        var access = Access.Of(call.Caller);

        await WithStoreAsync(context, access, async store =>
        {
            TraceRecord? trace;
            try
            {
                trace = await store.GetAsync(id, context.RequestAborted);
            }
            catch (TraceDetailUnreadableException unreadable)
            {
                await ErrorResponseWriter.WriteAsync(context, access.OnlyUser is { } self && unreadable.User != self
                    ? GatewayErrors.TraceNotFound(id)
                    : GatewayErrors.TraceDetailUnreadable(id, unreadable.Reason));
                return;
            }

            if (trace is null || (access.OnlyUser is { } own && trace.User != own))
            {
                await ErrorResponseWriter.WriteAsync(context, GatewayErrors.TraceNotFound(id));
                return;
            }

            await WriteJsonAsync(context, json => JsonSerializer.Serialize(json, trace, TrackingJson.Default.TraceRecord));
        });
    }

    private static async Task GetUsageAsync(HttpContext context, GatewayCall call)
    {
        var access = Access.Of(call.Caller);

        var q = context.Request.Query;
        var error = ReadTimes(q, out var from, out var to);
        var dimensionError = UsageReport.TryParseDimensions(Text(q, "group_by"), Text(q, "interval"), out var dimensions);
        if (dimensionError is not null)
        {
            var field = dimensionError.StartsWith("interval", StringComparison.Ordinal) ? "interval" : "group_by";
            error ??= GatewayErrors.InvalidQuery(field, dimensionError[(field.Length + 2)..]);
        }

        if (error is not null)
        {
            await ErrorResponseWriter.WriteAsync(context, error);
            return;
        }

        var time = context.RequestServices.GetRequiredService<TimeProvider>();
        var now = time.GetUtcNow();
        var end = to ?? now;
        var start = from ?? new DateTimeOffset(end.Year, end.Month, 1, 0, 0, 0, TimeSpan.Zero);
        await WithStoreAsync(context, access, async store =>
        {
            var report = await UsageReport.RunAsync(store, start, end, dimensions, access.OnlyUser, context.RequestAborted);
            var accept = context.Request.Headers.Accept.ToString();
            if (accept.Contains("text/csv", StringComparison.OrdinalIgnoreCase) || Text(q, "format") == "csv")
            {
                context.Response.ContentType = "text/csv; charset=utf-8";
                context.Response.Headers.ContentDisposition = $"attachment; filename=\"usage-{report.From:yyyyMMddHH}-{report.To:yyyyMMddHH}.csv\"";
                await context.Response.WriteAsync(report.ToCsv(), Encoding.UTF8, context.RequestAborted);
                return;
            }

            await WriteJsonAsync(context, report.WriteJson);
        });
    }

    /// <summary>Any valid key may read; only admin and finance keys read beyond their own user.</summary>
    private sealed record Access(string? OnlyUser)
    {
        public static Access Of(CallerIdentity caller) => new(caller.Role is CallerRole.Admin or CallerRole.Finance ? null : caller.User);
    }

    private static async Task WithStoreAsync(HttpContext context, Access access, Func<ITraceStore, Task> read)
    {
        var tracing = context.RequestServices.GetRequiredService<GatewayTracing>();
        if (!tracing.Enabled)
        {
            await ErrorResponseWriter.WriteAsync(context, GatewayErrors.TrackingDisabled());
            return;
        }

        var writer = context.RequestServices.GetRequiredService<TraceWriter>();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await writer.EnsureMigratedAsync(timeout.Token);
            await read(writer.Store);
        }
        catch (Exception exception) when (exception is System.Data.Common.DbException or TimeoutException or OperationCanceledException or InvalidOperationException
                                          && !context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Usage");
            Log.StoreReadFailed(logger, writer.Store.Kind, exception.GetType().Name);
            await ErrorResponseWriter.WriteAsync(context, GatewayErrors.TrackingStoreUnavailable(writer.Store.Kind, exception.GetType().Name));
        }
    }

    private static GatewayError? ReadTimes(IQueryCollection q, out DateTimeOffset? from, out DateTimeOffset? to)
    {
        from = to = null;
        foreach (var name in new[] { "from", "to" })
        {
            if (Text(q, name) is not { } text)
            {
                continue;
            }

            if (!UsageReport.TryParseTime(text, out var time))
            {
                return GatewayErrors.InvalidQuery(name, $"'{text}' is not a date (2026-11-01) or a date and time (2026-11-01T09:00:00Z)");
            }

            if (name == "from")
            {
                from = time;
            }
            else
            {
                to = time;
            }
        }

        return from > to ? GatewayErrors.InvalidQuery("to", "comes before from") : null;
    }

    private static string? Text(IQueryCollection q, string name) => q[name].ToString() is { Length: > 0 } value ? value : null;

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, GatewayJson.WriterOptions))
        {
            write(json);
        }

        context.Response.ContentLength = buffer.Length;
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6101, EventName = "TrackingStoreReadFailed", Level = LogLevel.Warning,
            Message = "Reading the {Store} tracking store failed ({Error})")]
        public static partial void StoreReadFailed(ILogger logger, string store, string error);
    }
}
