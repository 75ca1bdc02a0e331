// A plain YARP pass-through: every request forwarded as is to --upstream. It logs like the gateway
// (console; ASP.NET Core and YARP at Warning, so no per-request lines) so the comparison flatters neither side.
var builder = WebApplication.CreateSlimBuilder(args);
var upstream = builder.Configuration["upstream"]
    ?? throw new InvalidOperationException("pass --upstream http://127.0.0.1:PORT");
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(options => options.SingleLine = true);
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Logging.AddFilter("Yarp", LogLevel.Warning);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Limits.MaxRequestBodySize = null;
    kestrel.AddServerHeader = false;
});
builder.Services.AddHttpForwarder();
var app = builder.Build();
app.MapForwarder("/{**catch-all}", upstream);
await app.RunAsync();
