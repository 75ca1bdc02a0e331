using Gateway.Core;


namespace Gateway.Pipeline.Stages;

/// <summary>Reads the body once into a pooled buffer (413 past server.max_body_size); the context returns the buffer.</summary>
internal sealed class ReadBodyStage : IInferenceStage
{
    public string Name => "read_body";

    public async ValueTask<bool> RunAsync(InferenceContext context)
    {
        var (body, error) = await RequestBody.ReadAsync(context.Http.Request, context.Snapshot.Config.Server.MaxBodySize.Bytes, context.Aborted);
        if (body is null)
        {
            return await context.FailAsync(error!);
        }

        context.Body = body;
        return true;
    }

    public ValueTask EndAsync(InferenceContext context) => ValueTask.CompletedTask;
}
