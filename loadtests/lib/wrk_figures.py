"""Shared by the A/B scripts' reports: one wrk JSON line (with cpu_ticks from lib/measure.sh) as figures."""

HZ = 100  # clock ticks per second (/proc stat)


def fig(r):
    n = r["requests"]
    return dict(rps=n / (r["duration_us"] / 1e6), p50=r["p50_us"], p99=r["p99_us"], cpu=r["cpu_ticks"] * 1e6 / HZ / n,
                errors=r["status_errors"] + r["timeouts"] + r["read_errors"] + r["write_errors"] + r["connect_errors"])


def measurement_table(rows, mode_heading):
    """Each measurement as a table row (scenario, round, mode, figures), and the figures grouped by (scenario, mode)."""
    lines = [f"| scenario | round | {mode_heading} | req/s | p50 | p99 | CPU per request | errors |", "|---|---:|---|---:|---:|---:|---:|---:|"]
    by = {}
    for r in rows:
        f = fig(r)
        by.setdefault((r["scenario"], r["mode"]), []).append(f)
        lines.append(f"| {r['scenario']} | {r['round']} | {r['mode']} | {f['rps']:,.0f} | {f['p50']/1000:.3f} ms | {f['p99']/1000:.2f} ms | {f['cpu']:.0f} µs | {f['errors']} |")
    return lines, by


def medians_against_off(by, scenarios, modes, mode_heading):
    """Medians per scenario and mode, each with its difference against the "off" mode of the same scenario."""
    import statistics
    m = lambda xs, k: statistics.median(x[k] for x in xs)
    lines = [f"| scenario | {mode_heading} | req/s (× off) | p50 (added) | p99 (added) | CPU per request (added) |", "|---|---|---|---|---|---|"]
    for scenario in [s for s in scenarios if (s, "off") in by]:
        off = by[(scenario, "off")]
        for mode in modes:
            xs = by[(scenario, mode)]
            lines.append(f"| {scenario} | {mode} | {m(xs,'rps'):,.0f} ({m(xs,'rps')/m(off,'rps'):.2f}×) | {m(xs,'p50')/1000:.3f} ms ({m(xs,'p50')-m(off,'p50'):+.0f} µs) | "
                         f"{m(xs,'p99')/1000:.2f} ms ({m(xs,'p99')-m(off,'p99'):+.0f} µs) | {m(xs,'cpu'):.0f} µs ({m(xs,'cpu')-m(off,'cpu'):+.0f} µs) |")
    return lines
