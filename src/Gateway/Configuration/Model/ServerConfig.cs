using System.ComponentModel;
using Gateway.Configuration.Binding;

namespace Gateway.Configuration.Model;

internal sealed record ServerConfig
{
    public const string DefaultListen = "http://127.0.0.1:8080";

    [Description("URL Kestrel listens on, such as http://127.0.0.1:8080 (read at start-up; a change needs a restart).")]
    public string Listen { get; init; } = DefaultListen;

    [Description("keys: callers need a gateway key; none: no keys (only allowed on a loopback address).")]
    [AllowedValues("keys", "none")]
    public string Auth { get; init; } = "keys";

    [Description("Largest request body accepted, such as 32MB; larger bodies get 413.")]
    public ByteSize MaxBodySize { get; init; } = ByteSize.FromMegabytes(32);

    [System.Text.Json.Serialization.JsonIgnore]
    public bool AllowsAnonymous => Auth == "none";
}
