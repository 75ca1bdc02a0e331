// The load tests' upstream: a fast fake OpenAI API on 127.0.0.1 (run.sh passes --urls).
// Its handlers live in tests/FakeProviders/Load so the test suite can check its wire format with the OpenAI SDK.
using FakeProviders.Load;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Limits.MaxRequestBodySize = null;
    kestrel.AddServerHeader = false;
});
var app = builder.Build();
new LoadTestUpstream().Map(app);
await app.RunAsync();
