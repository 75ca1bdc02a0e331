using Gateway.Guardrails.Detection;
using Xunit.Abstractions;

using Gateway.Configuration.Model;

namespace Gateway.Tests.Guardrails;

/// <summary>Precision and recall per entity on the generated evaluation set: each must reach 0.97.</summary>
public sealed class PiiEvaluationTests(ITestOutputHelper output)
{
    private const double Threshold = 0.97;

    [Fact]
    public void Every_entity_is_found_with_precision_and_recall_of_at_least_97_percent()
    {
        var set = PiiEvaluationSet.Generate();
        string[] entities = [PiiEntities.Email, PiiEntities.Phone, PiiEntities.CreditCard, PiiEntities.Iban, PiiEntities.UsSsn, PiiEntities.IpAddress, PiiEntities.Secret];
        var detector = new PiiDetector(entities);
        var counts = entities.ToDictionary(e => e, _ => (Tp: 0, Fp: 0, Fn: 0));
        var misses = new List<string>();

        foreach (var sample in set)
        {
            var findings = new List<PiiFinding>();
            detector.Detect(sample.Text, findings);
            foreach (var label in sample.Labels)
            {
                var hit = findings.Any(f => f.Entity == label.Entity && f.Start < label.End && label.Start < f.End);
                counts[label.Entity] = hit ? counts[label.Entity] with { Tp = counts[label.Entity].Tp + 1 } : counts[label.Entity] with { Fn = counts[label.Entity].Fn + 1 };
                if (!hit)
                {
                    misses.Add($"missed {label.Entity}: {sample.Text}");
                }
            }

            foreach (var finding in findings.Where(f => !sample.Labels.Any(l => l.Entity == f.Entity && f.Start < l.End && l.Start < f.End)))
            {
                counts[finding.Entity] = counts[finding.Entity] with { Fp = counts[finding.Entity].Fp + 1 };
                misses.Add($"false {finding.Entity} '{sample.Text.Substring(finding.Start, finding.Length)}': {sample.Text}");
            }
        }

        foreach (var (entity, (tp, fp, fn)) in counts)
        {
            output.WriteLine($"{entity,-12} precision {Ratio(tp, tp + fp):0.000}  recall {Ratio(tp, tp + fn):0.000}  (tp {tp}, fp {fp}, fn {fn})");
        }

        foreach (var miss in misses.Take(30))
        {
            output.WriteLine(miss);
        }

        Assert.All(counts, c =>
        {
            var (tp, fp, fn) = c.Value;
            Assert.True(Ratio(tp, tp + fp) >= Threshold && Ratio(tp, tp + fn) >= Threshold,
                $"{c.Key}: precision {Ratio(tp, tp + fp):0.000}, recall {Ratio(tp, tp + fn):0.000}\n{string.Join("\n", misses.Where(m => m.Contains(c.Key, StringComparison.Ordinal)).Take(10))}");
        });
    }

    private static double Ratio(int part, int whole) => whole == 0 ? 1 : (double)part / whole;
}
