"""Profile one benchmark scenario in-process: queries and milliseconds per request, and where they go.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/daftar_bench_load \\
        .venv/bin/python -m bench.profile inbox [--requests 200] [--pyinstrument] [--queries]

Runs the same request the locust scenario sends (bench/locustfile.py) through Django's test client
against the benchmark database (set up by ``bench.run`` first), with the bench settings. Prints the
median and p95 time per request, the queries per request, and with ``--pyinstrument`` a call-tree
profile of all requests together; ``--queries`` prints the SQL of the last request. A profile is how
a missed target is traced to its cause (docs/performance.md); the numbers are not a benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import prepare

Request = Callable[[Any, dict[str, Any], random.Random], Any]


def _bearer(fixture: dict[str, Any], key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {fixture[key]}"}


def _file_case(client: Any, fixture: dict[str, Any], rng: random.Random) -> Any:
    body = {
        "service": fixture["service"],
        "channel": "office",
        "office": fixture["office"],
        "applicant": prepare.applicant(rng),
        "data": prepare.intake(rng),
    }
    if fixture.get("location"):
        body["location"] = fixture["location"]
    return client.post(
        "/api/v1/cases",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        **_bearer(fixture, "token"),
    )


def _track(client: Any, fixture: dict[str, Any], rng: random.Random) -> Any:
    code, national_code = rng.choice(fixture["tracking"])
    form = {
        "tracking_code": code,
        "national_code": national_code,
        "captcha_0": "bench",
        "captcha_1": "PASSED",
    }
    return client.post("/track/", data=form)


def _track_api(client: Any, fixture: dict[str, Any], rng: random.Random) -> Any:
    code, national_code = rng.choice(fixture["tracking"])
    body = json.dumps({"tracking_code": code, "national_code": national_code})
    return client.post("/api/v1/track", data=body, content_type="application/json")


def _case_read(client: Any, fixture: dict[str, Any], rng: random.Random) -> Any:
    code, _national_code = rng.choice(fixture["tracking"])
    return client.get(f"/api/v1/cases/{code}", **_bearer(fixture, "staff_token"))


def _inbox(client: Any, fixture: dict[str, Any], rng: random.Random) -> Any:
    return client.get("/api/v1/inbox?page=1&page_size=50", **_bearer(fixture, "staff_token"))


def _search(client: Any, fixture: dict[str, Any], rng: random.Random) -> Any:
    query = rng.choice(fixture["search"]) if rng.random() < 0.5 else rng.choice(fixture["tracking"])[1]
    return client.get("/api/v1/cases", {"q": query}, **_bearer(fixture, "staff_token"))


def _open311(client: Any, fixture: dict[str, Any], rng: random.Random) -> Any:
    return client.get("/open311/v2/requests.json")


def _baseline_read(client: Any, fixture: dict[str, Any], rng: random.Random) -> Any:
    return client.get(f"/bench/read/{rng.choice(fixture['rows'])}")


SCENARIOS: dict[str, Request] = {
    "file_case": _file_case,
    "track_api": _track_api,
    "track_public": _track,
    "case_read": _case_read,
    "inbox": _inbox,
    "inbox_search": _search,
    "open311_requests": _open311,
    "baseline_read": _baseline_read,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--fixture", type=Path, help="a fixture JSON (default: written fresh to /tmp)")
    parser.add_argument("--pyinstrument", action="store_true", help="print a call-tree profile")
    parser.add_argument("--cprofile", action="store_true", help="print cProfile's top functions by own time")
    parser.add_argument("--queries", action="store_true", help="print the SQL of the last request")
    args = parser.parse_args(argv)
    if "daftar_bench_" not in os.environ.get("DATABASE_URL", ""):
        raise SystemExit("set DATABASE_URL to a daftar_bench_* PostgreSQL database (bench.run sets one up)")
    prepare._setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    fixture_path = args.fixture or Path("/tmp/daftar-bench-profile-fixture.json")  # noqa: S108
    fixture = json.loads(fixture_path.read_text()) if args.fixture else prepare.fixture(fixture_path, 0)
    request = SCENARIOS[args.scenario]
    rng = random.Random(9)  # noqa: S311 - load data
    client = Client(HTTP_HOST="127.0.0.1")
    if args.scenario == "track_public":
        client.get("/track/")
    for _warm in range(5):
        request(client, fixture, rng)
    profiler: Any = None
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    elif args.cprofile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    times, cpu, queries, statuses = [], [], [], set()
    with CaptureQueriesContext(connection) as captured:
        for _n in range(args.requests):
            before = len(captured.captured_queries)
            started, started_cpu = time.perf_counter(), time.process_time()
            response = request(client, fixture, rng)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            queries.append(len(captured.captured_queries) - before)
            statuses.add(response.status_code)
    if args.pyinstrument:
        profiler.stop()
    elif args.cprofile:
        profiler.disable()
    times.sort()
    print(
        f"{args.scenario}: {args.requests} requests, status {sorted(statuses)}, "
        f"median {statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95) - 1]:.1f} ms, "
        f"this process's CPU median {statistics.median(cpu):.1f} ms, "
        f"queries {min(queries)}–{max(queries)} (median {statistics.median(queries):.0f})"
    )
    if args.queries:
        for query in captured.captured_queries[-queries[-1] :]:
            print(f"[{query['time']}] {query['sql'][:400]}")
    if args.pyinstrument:
        sys.stdout.write(profiler.output_text(unicode=True, color=False, show_all=False))
    elif args.cprofile:
        import pstats

        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    main()
