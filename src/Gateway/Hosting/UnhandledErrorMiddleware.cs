using System.Diagnostics;
using Gateway.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

/// <summary>
/// The last line: a bug becomes a logged 500 in OpenAI's error shape, never a stack trace on the wire;
/// a client that drops its connection mid-request is not an error at all.
/// </summary>
internal sealed partial class UnhandledErrorMiddleware(RequestDelegate next, ILogger<UnhandledErrorMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        var task = next(context);
        return task.IsCompletedSuccessfully ? Task.CompletedTask : AwaitAsync(context, task);
    }

    private async Task AwaitAsync(HttpContext context, Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            Log.ClientAborted(logger, context.Request.Path);
        }
        catch (BadHttpRequestException ex)
        {
            Log.BadRequest(logger, context.Request.Path, ex.Message);
            await ErrorResponseWriter.WriteAsync(context, new GatewayError(ex.StatusCode, "invalid_request_error", "bad_request", null, ex.Message));
        }
        catch (Exception ex)
        {
            var traceId = Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
            Log.Unhandled(logger, context.Request.Path, traceId, ex);
            if (context.Response.HasStarted)
            {
                context.Abort();
                return;
            }

            await ErrorResponseWriter.WriteAsync(context, GatewayErrors.Internal(traceId));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9001, EventName = "UnhandledError", Level = LogLevel.Error, Message = "Unhandled error serving {Path} (trace {TraceId})")]
        public static partial void Unhandled(ILogger logger, PathString path, string traceId, Exception exception);

        [LoggerMessage(EventId = 9002, EventName = "ClientAborted", Level = LogLevel.Debug, Message = "Client aborted the request to {Path}")]
        public static partial void ClientAborted(ILogger logger, PathString path);

        [LoggerMessage(EventId = 9003, EventName = "BadHttpRequest", Level = LogLevel.Information, Message = "Bad HTTP request to {Path}: {Reason}")]
        public static partial void BadRequest(ILogger logger, PathString path, string reason);
    }
}
