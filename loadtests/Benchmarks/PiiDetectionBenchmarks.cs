using System.Text;
using BenchmarkDotNet.Attributes;
using Gateway.Guardrails.Detection;

namespace Gateway.Benchmarks;

/// <summary>
/// The PII detector over 100 KB of text: clean prose (no entity; target ≥ 100 MB/s per core) and prose dense with
/// entities (one every ~200 characters), also without PHONE (libphonenumber's share). MB/s = 0.1 / mean seconds.
/// </summary>
[MemoryDiagnoser]
public class PiiDetectionBenchmarks
{
    private static readonly string[] Entities = ["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "SECRET"];
    private readonly PiiDetector _detector = new(Entities);
    private readonly PiiDetector _withoutPhones = new(Entities.Where(e => e != "PHONE"));
    private readonly List<PiiFinding> _findings = [];
    private string _clean = "";
    private string _dense = "";

    [GlobalSetup]
    public void Setup()
    {
        const string prose = "The quarterly review went well: revenue grew in every region, and the board asked finance for a short summary of costs by team. ";
        var clean = new StringBuilder();
        while (clean.Length < 100_000)
        {
            clean.Append(prose);
        }

        _clean = clean.ToString(0, 100_000);
        string[] entities = ["jane.doe@example.com", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "536-22-1234", "192.168.10.24", "+44 20 7946 0958", "AKIAIOSFODNN7EXAMPLE"];
        var dense = new StringBuilder();
        for (var i = 0; dense.Length < 100_000; i++)
        {
            dense.Append(prose.AsSpan(0, 60)).Append(entities[i % entities.Length]).Append(". ").Append(prose.AsSpan(60, 50));
        }

        _dense = dense.ToString(0, 100_000);
    }

    [Benchmark]
    public int Clean100KB()
    {
        _findings.Clear();
        _detector.Detect(_clean, _findings);
        return _findings.Count;
    }

    [Benchmark]
    public int Dense100KB()
    {
        _findings.Clear();
        _detector.Detect(_dense, _findings);
        return _findings.Count;
    }

    [Benchmark]
    public int Dense100KBWithoutPhones()
    {
        _findings.Clear();
        _withoutPhones.Detect(_dense, _findings);
        return _findings.Count;
    }
}
