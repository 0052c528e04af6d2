"""One command for the load benchmark (issue 9): set up, serve, load each scenario, pgbench, report.

    python -m bench.run --quick        # ~5 minutes: 15 s per scenario, 5,000 cases
    python -m bench.run                # 60 s per scenario, 100,000 cases

Writes bench/results/<UTC date-time>.json and .md (and latest.json / latest.md). Every result is
given in absolute numbers and as a ratio to its baseline measured in the same run, on the same
server and database: the bare insert endpoint for writes, the bare read endpoint for reads, and
pgbench's single-row insert/read for the two bare endpoints themselves.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .server import ROOT, Server, bench_env

BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PY = sys.executable
LOCUST = str(Path(PY).with_name("locust"))
PGBENCH = shutil.which("pgbench") or "/usr/bin/pgbench"


@dataclass(frozen=True)
class Scenario:
    key: str
    locust_class: str
    title: str
    baseline: str  # the key of the result this one is divided by
    users: int | None = None  # concurrent clients when not the run's --users


SCENARIOS = [
    Scenario("baseline_read", "BaselineRead", "bare Django: read one row by pk", "pgbench_read"),
    Scenario("baseline_read_1user", "BaselineRead", "bare Django: read by pk, one user alone", "", users=1),
    Scenario("baseline_insert", "BaselineInsert", "bare Django: insert one row", "pgbench_insert"),
    Scenario("file_case", "FileCase", "file a case (POST /api/v1/cases)", "baseline_insert"),
    Scenario("track_api", "TrackApi", "public tracking lookup (POST /api/v1/track)", "baseline_read"),
    Scenario("track_public", "TrackPublic", "public tracking page (POST /track/, captcha)", "baseline_read"),
    Scenario("case_read", "CaseRead", "staff case read (GET /api/v1/cases/{code})", "baseline_read"),
    Scenario("inbox", "Inbox", "staff inbox, first page (GET /api/v1/inbox)", "baseline_read"),
    Scenario(
        "inbox_1user", "Inbox", "staff inbox, first page, one user alone", "baseline_read_1user", users=1
    ),
    Scenario("inbox_search", "InboxSearch", "staff search (GET /api/v1/cases?q=)", "baseline_read"),
    Scenario("open311_requests", "Open311Requests", "Open311 GET requests.json", "baseline_read"),
    Scenario("payment_callback", "PaymentCallback", "payment callback (sandbox bank)", "baseline_insert"),
]


@dataclass
class Result:
    key: str
    title: str
    tool: str
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    baseline: str = ""
    rps_ratio: float | None = None
    p95_ratio: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(command: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, cwd=ROOT, text=True, check=False, **kwargs)  # noqa: S603


def manage(env: dict[str, str], *args: str) -> None:
    done = run([PY, "manage.py", *args], env, capture_output=True)
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def database_ensure(name: str, fresh: bool) -> None:
    if not name.startswith("daftar_bench_"):
        raise SystemExit("benchmarks run only on databases named daftar_bench_*")
    common = ["-h", "127.0.0.1", "-U", "postgres"]
    if fresh:
        subprocess.run(["dropdb", *common, "--if-exists", name], check=True)  # noqa: S603, S607
    exists = subprocess.run(  # noqa: S603
        ["psql", *common, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],  # noqa: S607, S608
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["createdb", *common, name], check=True)  # noqa: S603, S607


def cases_count(database: str) -> int:
    done = subprocess.run(  # noqa: S603
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SELECT count(*) FROM cases_case", database],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return int(done.stdout.strip() or 0)


def setup(env: dict[str, str], cases: int, workdir: Path) -> dict[str, Any]:
    log("migrate")
    manage(env, "migrate", "--no-input")
    log("demo_load (idempotent)")
    manage(env, "demo_load", "--allow-production")
    generator = BENCH / "generate.py"
    missing = cases - cases_count(env["DATABASE_URL"].rsplit("/", 1)[1])
    if generator.exists() and missing >= 100:
        log(f"bench.generate --cases {missing}")
        done = run([PY, "-m", "bench.generate", "--cases", str(missing)], env, capture_output=True)
        if done.returncode:
            log(f"bench.generate failed; filing the cases in-process instead:\n{done.stderr[-1000:]}")
    log(f"fixture (at least {cases} cases)")
    fixture = workdir / "fixture.json"
    done = run([PY, "-m", "bench.prepare", "fixture", "--out", str(fixture), "--cases", str(cases)], env)
    if done.returncode:
        raise RuntimeError("bench.prepare fixture failed")
    data = json.loads(fixture.read_text())
    data["path"] = str(fixture)
    return data


def _ms(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def locust(
    scenario: Scenario, *, url: str, env: dict[str, str], users: int, seconds: int, workdir: Path
) -> Result:
    prefix = workdir / scenario.key
    command = [
        LOCUST,
        "-f",
        str(BENCH / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "10",
        "--host",
        url,
        "--csv",
        str(prefix),
        "--only-summary",
        "--reset-stats",
        "--loglevel",
        "WARNING",
        scenario.locust_class,
    ]
    done = run(command, env, capture_output=True)
    result = Result(scenario.key, scenario.title, "locust", baseline=scenario.baseline)
    result.extra["users"] = users
    stats = prefix.with_name(prefix.name + "_stats.csv")
    if not stats.exists():
        result.note = f"locust failed: {done.stderr[-500:]}"
        return result
    with stats.open() as f:
        rows = [r for r in csv.DictReader(f) if r["Name"] != "Aggregated" and r["Name"] != "track form"]
    if not rows:
        result.note = "no requests"
        return result
    row = max(rows, key=lambda r: int(r["Request Count"]))
    result.requests = int(row["Request Count"])
    result.failures = int(row["Failure Count"])
    result.rps = round(float(row["Requests/s"]), 1)
    result.p50_ms, result.p95_ms, result.p99_ms = (_ms(row["50%"]), _ms(row["95%"]), _ms(row["99%"]))
    failures = prefix.with_name(prefix.name + "_failures.csv")
    if result.failures and failures.exists():
        with failures.open() as f:
            first = next(csv.DictReader(f), None)
        if first:
            result.note = f"{first.get('Occurrences')}× {first.get('Error', '')[:160]}"
    return result


def pgbench(
    key: str, script: str, title: str, *, database: str, clients: int, seconds: int, workdir: Path
) -> Result:
    logs = workdir / f"pgbench_{key}"
    logs.mkdir(exist_ok=True)
    command = [
        PGBENCH,
        "-h",
        "127.0.0.1",
        "-U",
        "postgres",
        "-n",
        "-c",
        str(clients),
        "-j",
        "2",
        "-T",
        str(seconds),
        "-f",
        str(BENCH / "pgbench" / script),
        "-l",
        f"--log-prefix={logs / 'log'}",
        database,
    ]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False)  # noqa: S603
    result = Result(key, title, "pgbench")
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    if not tps:
        result.note = f"pgbench failed: {done.stderr[-300:]}"
        return result
    result.rps = round(float(tps.group(1)), 1)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    result.failures = int(failed.group(1)) if failed else 0
    latencies: list[float] = []
    for path in logs.glob("log*"):
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[2].isdigit():
                latencies.append(int(parts[2]) / 1000.0)
    result.requests = len(latencies)
    if len(latencies) >= 100:
        q = statistics.quantiles(latencies, n=100)
        result.p50_ms, result.p95_ms, result.p99_ms = round(q[49], 2), round(q[94], 2), round(q[98], 2)
    return result


def ratios(results: dict[str, Result]) -> None:
    for result in results.values():
        base = results.get(result.baseline)
        if base is None or not base.rps:
            continue
        result.rps_ratio = round(result.rps / base.rps, 3)
        if base.p95_ms:
            result.p95_ratio = round(result.p95_ms / base.p95_ms, 2)


def targets(results: dict[str, Result]) -> list[dict[str, Any]]:
    """Issue 9's targets that this run can check (the 1M-case ones need a run at that scale)."""
    checks: list[dict[str, Any]] = []

    def check(name: str, key: str, value: float | None, ok: bool) -> None:
        if key in results and value is not None:
            checks.append({"target": name, "value": value, "met": ok})

    filing, track, inbox = results.get("file_case"), results.get("track_api"), results.get("inbox_1user")
    if filing:
        check("filing ≥ 300 cases/s at 16 clients", "file_case", filing.rps, filing.rps >= 300)
        check("filing p95 ≤ 100 ms", "file_case", filing.p95_ms, 0 < filing.p95_ms <= 100)
        ratio = filing.rps_ratio
        check("filing ≥ 0.5 × bare insert", "file_case", ratio, ratio is not None and ratio >= 0.5)
    if track:
        ratio = track.rps_ratio
        check("tracking ≥ 0.8 × bare read", "track_api", ratio, ratio is not None and ratio >= 0.8)
    if inbox:
        check("inbox p50 ≤ 15 ms, one user", "inbox_1user", inbox.p50_ms, 0 < inbox.p50_ms <= 15)
    return checks


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    pg = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version", "postgres"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg,
        "load_average_before": os.getloadavg(),
    }


def markdown(report: dict[str, Any]) -> str:
    cfg = report["config"]
    m = report["machine"]
    load = ", ".join(f"{x:.2f}" for x in m["load_average_before"])
    lines = [
        f"# Daftar load benchmark — {report['started_at']}",
        "",
        f"{m['cpus']} CPUs ({m['cpu']}), {m['memory_gb']} GB, PostgreSQL {m['postgresql']}, "
        f"Python {m['python']}; gunicorn {cfg['workers']} sync workers, {cfg['users']} concurrent "
        f"clients (locust, closed loop), {cfg['seconds']} s per scenario, {cfg['cases']:,} cases in "
        f"the database; load average before: {load}.",
        "",
        "| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | baseline "
        "| × baseline req/s | × baseline p95 |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in report["results"]:
        errors = f"{r['failures']}/{r['requests']}" if r["requests"] else "—"
        rr = f"{r['rps_ratio']:.2f}" if r["rps_ratio"] is not None else "—"
        pr = f"{r['p95_ratio']:.2f}" if r["p95_ratio"] is not None else "—"
        lines.append(
            f"| {r['title']} | {r['rps']:.1f} | {r['p50_ms']:g} | {r['p95_ms']:g} | {r['p99_ms']:g} | "
            f"{errors} | {r['baseline'] or '—'} | {rr} | {pr} |"
        )
    if report.get("targets"):
        lines += ["", "| issue 9 target | this run | met |", "|---|---:|---|"]
        for t in report["targets"]:
            lines.append(f"| {t['target']} | {t['value']:g} | {'yes' if t['met'] else '**no**'} |")
    if report.get("growth"):
        from .growth import growth_markdown

        lines += growth_markdown(report["growth"])
    if report.get("batch"):
        lines += batch_markdown(report["batch"])
    notes = [f"- {r['key']}: {r['note']}" for r in report["results"] if r["note"]]
    if notes:
        lines += ["", "Notes:", *notes]
    return "\n".join(lines) + "\n"


def batch_run(properties: int) -> dict[str, Any]:
    """Annual billing of ``properties`` records against a raw COPY of the same rows (bench/billing.py)."""
    from .billing import billing_bench

    log(f"batch: annual billing of {properties:,} properties")
    try:
        # Its own database per size: billing bills every property the city has.
        database = (
            "daftar_bench_billing"
            if properties >= 1_000_000
            else f"daftar_bench_billing_{properties // 1000}k"
        )
        result = billing_bench(database=database, properties=properties)
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}
    billing, raw = result.get("billing", {}), result.get("raw_copy", {})
    rate, peak, ratio = (
        billing.get("bills_per_second", 0),
        billing.get("peak_rss_mb", 0),
        result.get("ratio_to_raw"),
    )
    result["targets"] = [
        {"target": f"annual billing ≥ 10,000 bills/s ({properties:,})", "value": rate, "met": rate >= 10_000},
        {"target": "annual billing memory < 300 MB", "value": peak, "met": 0 < peak < 300},
        {
            "target": "annual billing ≥ ⅓ of raw COPY (goal)",
            "value": ratio,
            "met": ratio is not None and ratio >= 1 / 3,
        },
    ]
    log(f"  {rate} bills/s, peak {peak} MB, raw COPY {raw.get('bills_per_second')} bills/s, ratio {ratio}")
    return result


def batch_markdown(batch: dict[str, Any]) -> list[str]:
    if batch.get("error"):
        return ["", f"Batch (annual billing): failed — {batch['error']}"]
    billing, raw = batch.get("billing", {}), batch.get("raw_copy", {})
    return [
        "",
        f"Batch: annual billing of {batch.get('properties', 0):,} properties (`bench/billing.py`, "
        f"fiscal year {batch.get('fiscal_year')}, chunk {batch.get('chunk')}).",
        "",
        "| | bills | seconds | bills/s | peak memory | rows/s |",
        "|---|---:|---:|---:|---:|---:|",
        f"| `bill_annual` | {billing.get('billed', 0):,} | {billing.get('seconds')} | "
        f"{billing.get('bills_per_second', 0):,} | {billing.get('peak_rss_mb')} MB | — |",
        f"| raw COPY of the same rows | {raw.get('rows_by_table', {}).get('billing_bill', 0):,} | "
        f"{raw.get('seconds')} | {raw.get('bills_per_second', 0):,} | — | "
        f"{raw.get('rows_per_second', 0):,} |",
        "",
        f"Billing runs at {batch.get('ratio_to_raw')} × the raw COPY of its own rows.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short runs at small scale (under ten minutes)")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "daftar_bench_load"))
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database first")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--users", type=int, default=16, help="concurrent clients")
    parser.add_argument("--seconds", type=int, default=None, help="per scenario (quick 15, full 60)")
    parser.add_argument(
        "--cases", type=int, default=None, help="cases in the database (quick 5,000, full 100,000)"
    )
    parser.add_argument("--only", default="", help="comma-separated scenario keys (default: all)")
    parser.add_argument("--no-pgbench", action="store_true")
    parser.add_argument(
        "--growth",
        default=None,
        help="SMALL,LARGE cases for the growth comparison (full: 10000,1000000; quick: none; 'none' skips)",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="properties for annual billing (full 1,000,000, quick 20,000; 0 skips)",
    )
    args = parser.parse_args()
    seconds = args.seconds or (15 if args.quick else 60)
    cases = args.cases or (5_000 if args.quick else 100_000)
    only = {k for k in args.only.split(",") if k}
    chosen = [s for s in SCENARIOS if not only or s.key in only]

    started = dt.datetime.now(dt.UTC)
    database_ensure(args.database, args.fresh)
    workdir = Path(tempfile.mkdtemp(prefix="daftar-bench-"))
    env = bench_env(args.database)
    fixture = setup(env, cases, workdir)
    locust_env = {**env, "BENCH_FIXTURE": fixture["path"]}
    report: dict[str, Any] = {
        "started_at": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "config": {
            "workers": args.workers,
            "users": args.users,
            "seconds": seconds,
            "cases": fixture["cases"],
            "database": args.database,
            "quick": args.quick,
        },
    }
    results: dict[str, Result] = {}
    server = Server(
        database=args.database, port=args.port, workers=args.workers, log=workdir / "gunicorn.log"
    )
    log(f"gunicorn on {server.url}, {args.workers} workers; results in {workdir}")
    with server:
        for scenario in chosen:
            if scenario.key == "payment_callback":
                count = max(200, min(20_000, seconds * 40))
                log(f"preparing {count} debited sandbox payments")
                payments = workdir / "payments.json"
                run(
                    [
                        PY,
                        "-m",
                        "bench.prepare",
                        "payments",
                        "--out",
                        str(payments),
                        "--count",
                        str(count),
                        "--base-url",
                        server.url,
                    ],
                    env,
                )
                locust_env["BENCH_PAYMENTS"] = str(payments)
            users = scenario.users or args.users
            log(f"{scenario.key}: {users} users × {seconds}s")
            result = locust(
                scenario, url=server.url, env=locust_env, users=users, seconds=seconds, workdir=workdir
            )
            if scenario.key == "payment_callback":
                result.extra["payments_prepared"] = len(
                    json.loads(Path(locust_env["BENCH_PAYMENTS"]).read_text())
                )
                if result.requests >= result.extra["payments_prepared"]:
                    result.note = "ran out of prepared payments before the time was up"
            results[scenario.key] = result
            log(
                f"  {result.rps} req/s, p50 {result.p50_ms} p95 {result.p95_ms} p99 {result.p99_ms} ms, "
                f"{result.failures} errors {result.note}"
            )
    if not args.no_pgbench:
        for key, script, title in (
            ("pgbench_insert", "insert.sql", "pgbench: single-row INSERT transaction"),
            ("pgbench_read", "read.sql", "pgbench: single-row SELECT by pk"),
        ):
            log(f"{key}: {args.users} clients × {seconds}s")
            results[key] = pgbench(
                key,
                script,
                title,
                database=args.database,
                clients=args.users,
                seconds=seconds,
                workdir=workdir,
            )
            log(f"  {results[key].rps} tps, p95 {results[key].p95_ms} ms")
    ratios(results)
    report["results"] = [asdict(r) for r in results.values()]
    report["targets"] = targets(results)
    growth_spec = args.growth if args.growth is not None else ("none" if args.quick else "10000,1000000")
    if growth_spec != "none" and not only:
        from .growth import growth_run

        small, large = (int(n) for n in growth_spec.split(","))
        report["growth"] = growth_run(
            small=small,
            large=large,
            seconds=min(seconds, 30),
            users=args.users,
            workers=args.workers,
            port=args.port,
        )
        report["targets"] += report["growth"]["targets"]
    batch = args.batch if args.batch is not None else (20_000 if args.quick else 1_000_000)
    if batch and not only:
        report["batch"] = batch_run(batch)
        report["targets"] += report["batch"].get("targets", [])
    report["finished_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = started.strftime("%Y-%m-%d-%H%M") + ("-quick" if args.quick else "")
    table = markdown(report)
    for name in (stem, "latest"):
        (RESULTS / f"{name}.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        (RESULTS / f"{name}.md").write_text(table)
    print(table)
    log(f"wrote {RESULTS / (stem + '.json')} and .md; raw locust/pgbench output in {workdir}")


if __name__ == "__main__":
    main()
