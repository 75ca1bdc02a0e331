namespace Gateway.Providers.Upstream;

/// <summary>Reads what an exception from the upstream HTTP layer says about why a call failed.</summary>
internal static class UpstreamFailures
{
    /// <summary>The timeout behind an exception, however deeply the HTTP stack wrapped it; null if it was no timeout of ours.</summary>
    public static UpstreamTimeoutException? Timeout(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is UpstreamTimeoutException timeout)
            {
                return timeout;
            }
        }

        return null;
    }

    /// <summary>The innermost message: the socket's or the parser's own words.</summary>
    public static string Innermost(Exception? exception)
    {
        if (exception is null)
        {
            return "no detail from the connection";
        }

        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception.Message;
    }
}
