namespace Gateway.Configuration.Validation;

internal sealed class ServerRule : IConfigRule
{
    public void Validate(ConfigValidationContext context)
    {
        var server = context.Config.Server;
        if (!Urls.IsHttpUrl(server.Listen, out var listen) || listen!.AbsolutePath != "/")
        {
            context.Error("server.listen", $"'{server.Listen}' is not a listen URL such as http://127.0.0.1:8080");
        }
        else if (listen.Scheme != Uri.UriSchemeHttp)
        {
            context.Error("server.listen", $"'{server.Listen}': the gateway listens on plain http; terminate TLS in front of it (ingress, load balancer)");
        }
        else if (server.AllowsAnonymous && !Urls.IsLoopback(listen))
        {
            context.Error("server.auth", $"'none' runs the gateway without keys, which is only allowed on a loopback address, and server.listen is '{server.Listen}'; use http://127.0.0.1:<port> or configure keys");
        }

        if (!server.AllowsAnonymous && context.Config.Keys.Count == 0)
        {
            context.Error("keys", "no gateway keys are configured, so no caller could be admitted; add keys, or set server.auth: none to run without keys on loopback");
        }
    }
}
