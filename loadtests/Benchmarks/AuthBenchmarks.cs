using BenchmarkDotNet.Attributes;
using Gateway.Auth;
using Gateway.Configuration.Model;
using Microsoft.AspNetCore.Http;

namespace Gateway.Benchmarks;

/// <summary>Finding the caller from the Authorization header among 1,000 keys: hash, hex, frozen lookup, constant-time compare.</summary>
[MemoryDiagnoser]
public class AuthBenchmarks
{
    private KeyTable _keys = null!;
    private HttpRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        var keys = Enumerable.Range(0, 1000)
            .Select(i => new KeyConfig { Key = $"gw-key-{i:D6}-0123456789abcdef", User = $"user{i}", Groups = ["engineering"] })
            .ToList();
        _keys = KeyTable.Create(keys);
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "Bearer gw-key-000500-0123456789abcdef";
        _request = context.Request;
    }

    [Benchmark]
    public bool AuthenticateBearerAmong1000Keys() => GatewayKeyAuthenticator.Authenticate(_request, _keys, allowAnonymous: false, out _) is not null;
}
