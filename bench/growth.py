"""Growth: the same lookups and inbox pages at a small and a large database (issue 9).

    python -m bench.growth [--small 10000] [--large 1000000] [--seconds 20]

Each scale has its own database (``daftar_bench_<n>``, set up and topped up like ``bench.run``'s,
kept between runs: a million cases take ~7 minutes to generate once). Each is served by gunicorn
in turn and loaded with the same scenarios; the report is each scenario's p50/p95 at both scales
and the ratio large/small. Issue 9's target: the inbox's p95 at 1M at most 1.5 × its p95 at 10k,
and its p50 for one user at most 15 ms at 1M. ``bench.run`` calls :func:`growth_run` for ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from .run import SCENARIOS, Server, bench_env, database_ensure, locust, log, setup

GROWTH_SCENARIOS = ("inbox_1user", "inbox", "inbox_search", "track_api", "case_read")


def _database(cases: int) -> str:
    return f"daftar_bench_{cases // 1000}k" if cases < 1_000_000 else f"daftar_bench_{cases // 1_000_000}m"


def growth_run(
    *, small: int, large: int, seconds: int, users: int, workers: int, port: int
) -> dict[str, Any]:
    """Run the growth scenarios at both scales; the rows and issue 9's two inbox checks."""
    by_key = {s.key: s for s in SCENARIOS}
    measured: dict[int, dict[str, Any]] = {}
    for cases in (small, large):
        database = _database(cases)
        database_ensure(database, fresh=False)
        workdir = Path(tempfile.mkdtemp(prefix=f"daftar-growth-{cases}-"))
        env = bench_env(database)
        fixture = setup(env, cases, workdir)
        locust_env = {**env, "BENCH_FIXTURE": fixture["path"]}
        measured[cases] = {"database": database, "cases": fixture["cases"]}
        with Server(database=database, port=port, workers=workers, log=workdir / "gunicorn.log") as server:
            for key in GROWTH_SCENARIOS:
                scenario = by_key[key]
                scenario_users = scenario.users or users
                log(f"growth {cases:,}: {key}: {scenario_users} users × {seconds}s")
                result = locust(
                    scenario,
                    url=server.url,
                    env=locust_env,
                    users=scenario_users,
                    seconds=seconds,
                    workdir=workdir,
                )
                measured[cases][key] = result
                log(
                    f"  {result.rps} req/s, p50 {result.p50_ms} p95 {result.p95_ms}, {result.failures} errors"
                )
    rows = []
    for key in GROWTH_SCENARIOS:
        low, high = measured[small][key], measured[large][key]
        rows.append(
            {
                "key": key,
                "title": by_key[key].title,
                "small": {
                    "rps": low.rps,
                    "p50_ms": low.p50_ms,
                    "p95_ms": low.p95_ms,
                    "failures": low.failures,
                },
                "large": {
                    "rps": high.rps,
                    "p50_ms": high.p50_ms,
                    "p95_ms": high.p95_ms,
                    "failures": high.failures,
                },
                "p95_ratio": round(high.p95_ms / low.p95_ms, 2) if low.p95_ms else None,
            }
        )
    inbox = next(r for r in rows if r["key"] == "inbox_1user")
    targets = [
        {
            "target": f"inbox p95 at {large:,} ≤ 1.5 × p95 at {small:,} (one user)",
            "value": inbox["p95_ratio"],
            "met": inbox["p95_ratio"] is not None and inbox["p95_ratio"] <= 1.5,
        },
        {
            "target": f"inbox p50 ≤ 15 ms at {large:,} cases, one user",
            "value": inbox["large"]["p50_ms"],
            "met": 0 < inbox["large"]["p50_ms"] <= 15,
        },
    ]
    return {
        "small": {"cases": measured[small]["cases"], "database": measured[small]["database"]},
        "large": {"cases": measured[large]["cases"], "database": measured[large]["database"]},
        "seconds": seconds,
        "rows": rows,
        "targets": targets,
    }


def growth_markdown(growth: dict[str, Any]) -> list[str]:
    small, large = growth["small"]["cases"], growth["large"]["cases"]
    lines = [
        "",
        f"Growth: the same requests at {small:,} and {large:,} cases ({growth['seconds']} s each).",
        "",
        f"| scenario | req/s at {small:,} | p50 | p95 | req/s at {large:,} | p50 | p95 | × p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in growth["rows"]:
        lo, hi = r["small"], r["large"]
        ratio = f"{r['p95_ratio']:.2f}" if r["p95_ratio"] is not None else "—"
        lines.append(
            f"| {r['title']} | {lo['rps']:.1f} | {lo['p50_ms']:g} | {lo['p95_ms']:g} | {hi['rps']:.1f} | "
            f"{hi['p50_ms']:g} | {hi['p95_ms']:g} | {ratio} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    growth = growth_run(
        small=args.small,
        large=args.large,
        seconds=args.seconds,
        users=args.users,
        workers=args.workers,
        port=args.port,
    )
    print("\n".join(growth_markdown(growth)))
    for t in growth["targets"]:
        print(f"- {t['target']}: {t['value']} ({'met' if t['met'] else 'missed'})")
    if args.json:
        args.json.write_text(json.dumps(growth, ensure_ascii=False, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
