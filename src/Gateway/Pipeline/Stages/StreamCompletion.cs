namespace Gateway.Pipeline.Stages;

/// <summary>Sends what a stream on the answer still holds back, when the answer is complete.</summary>
internal static class StreamCompletion
{
    /// <summary>False when the caller has gone meanwhile.</summary>
    public static async ValueTask<bool> TryCompleteAsync(Func<CancellationToken, ValueTask> complete, CancellationToken cancellationToken)
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
}
