"""Shared by the A/B scripts' reports: one wrk JSON line (with cpu_ticks from lib/measure.sh) as figures."""

HZ = 100  # clock ticks per second (/proc stat)


def fig(r):
    n = r["requests"]
    return dict(rps=n / (r["duration_us"] / 1e6), p50=r["p50_us"], p99=r["p99_us"], cpu=r["cpu_ticks"] * 1e6 / HZ / n,
                errors=r["status_errors"] + r["timeouts"] + r["read_errors"] + r["write_errors"] + r["connect_errors"])
