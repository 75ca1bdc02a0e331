using Gateway.Core;
using Gateway.Errors;
using Gateway.Inbound.OpenAi;
using Gateway.Pipeline;
using Gateway.Pipeline.Stages;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Pipeline;

public sealed class InferencePipelineTests
{
    private readonly List<string> _calls = [];

    [Fact]
    public async Task Stages_run_in_order_and_end_in_reverse_order()
    {
        var pipeline = new InferencePipeline([Stage("a"), Stage("b"), Stage("c")]);

        await pipeline.RunAsync(Context());

        Assert.Equal(["run a", "run b", "run c", "end c", "end b", "end a"], _calls);
    }

    [Fact]
    public async Task A_stage_that_stops_the_request_ends_with_those_before_it_and_later_stages_never_run()
    {
        var context = Context();
        var pipeline = new InferencePipeline([Stage("a"), Stage("b", run: c => c.FailAsync(GatewayErrors.MissingKey())), Stage("c")]);

        await pipeline.RunAsync(context);

        Assert.Equal(["run a", "run b", "end b", "end a"], _calls);
        Assert.Equal(401, context.Http.Response.StatusCode);
        Assert.Equal("invalid_api_key", context.Error?.Code);
    }

    [Fact]
    public async Task A_stage_that_throws_is_recorded_as_an_internal_error_and_every_stage_entered_still_ends()
    {
        var context = Context();
        var pipeline = new InferencePipeline([Stage("a"), Stage("b", run: _ => throw new InvalidOperationException("bug")), Stage("c")]);

        await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.RunAsync(context));

        Assert.Equal(["run a", "run b", "end b", "end a"], _calls);
        Assert.Equal("internal_error", context.Error?.Code);
    }

    [Fact]
    public async Task A_teardown_that_throws_does_not_keep_the_earlier_stages_from_ending()
    {
        var pipeline = new InferencePipeline([Stage("a"), Stage("b", end: _ => throw new InvalidOperationException("bug")), Stage("c")]);

        await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.RunAsync(Context()));

        Assert.Equal(["run a", "run b", "run c", "end c", "end b", "end a"], _calls);
    }

    [Fact]
    public async Task The_first_error_stands_when_a_later_stage_fails_too()
    {
        var context = Context();
        var pipeline = new InferencePipeline([Stage("a", end: c => { c.RecordError(GatewayErrors.ClientDisconnected()); return ValueTask.CompletedTask; }),
            Stage("b", run: c => c.FailAsync(GatewayErrors.EndpointNotAllowed("chat")))]);

        await pipeline.RunAsync(context);

        Assert.Equal("endpoint_not_allowed", context.Error?.Code);
    }

    [Fact]
    public void The_gateways_pipeline_has_each_stage_once_in_the_documented_order()
    {
        Assert.Equal(
            [typeof(TraceStage), typeof(AuthenticateStage), typeof(ReadBodyStage), typeof(ResolveStage), typeof(AdmitLimitsStage),
             typeof(RequestGuardStage), typeof(MeterStage), typeof(RouteStage)],
            InferencePipeline.Order);
        Assert.Throws<InvalidOperationException>(() => InferencePipeline.Create([new ReadBodyStage(), new ResolveStage(null!)]));
    }

    // The runner never reads the snapshot: only the gateway's own stages do.
    private static InferenceContext Context() => new(new DefaultHttpContext(), EndpointKind.Chat, snapshot: null!, OpenAiRequestReader.Instance, OpenAiChatInbound.Instance);

    private RecordingStage Stage(string name, Func<InferenceContext, ValueTask<bool>>? run = null, Func<InferenceContext, ValueTask>? end = null) =>
        new(name, _calls, run, end);

    private sealed class RecordingStage(string name, List<string> calls, Func<InferenceContext, ValueTask<bool>>? run, Func<InferenceContext, ValueTask>? end) : IInferenceStage
    {
        public string Name => name;

        public ValueTask<bool> RunAsync(InferenceContext context)
        {
            calls.Add("run " + name);
            return run?.Invoke(context) ?? ValueTask.FromResult(true);
        }

        public ValueTask EndAsync(InferenceContext context)
        {
            calls.Add("end " + name);
            return end?.Invoke(context) ?? ValueTask.CompletedTask;
        }
    }
}
