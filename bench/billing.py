# ruff: noqa: S608 - the SQL names are this module's own table names, never input
"""Batch benchmark (issue 9): annual billing of a city's properties against a raw COPY of its rows.

    python -m bench.billing --properties 1000000 [--database daftar_bench_billing] [--json out.json]

Sets up the database (created if missing, name ``daftar_bench_*`` only; migrate; the demo city;
properties topped up to ``--properties`` with bench.generate), deletes the bills an earlier run made
for the benchmark year (restoring the older bills they had carried), then runs ``manage.py
bill_annual --kind property`` in a subprocess and measures it: bills, seconds, bills/s and the
subprocess's peak RSS. The baseline is the same rows written the fastest way PostgreSQL has: the
bills, items and events the run wrote are exported with ``COPY (SELECT ...) TO STDOUT`` to files,
then timed going back with ``COPY ... FROM STDIN`` into empty clones of the three tables
(``LIKE ... INCLUDING ALL``: the same indexes and checks, no foreign keys), in one transaction.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .run import PY, database_ensure, log, manage
from .server import PG, ROOT, bench_env

CITY = "tehran"
FISCAL_YEAR = 1406  # defined in catalog/tariffs/tehran.yaml; the demo bills 1404 and 1405, not 1406
TABLES = ("billing_bill", "billing_billitem", "billing_billevent")
REPORT_LINE = re.compile(
    r"bill_annual (?P<city>\S+) (?P<year>\d+) (?P<kind>\w+): (?P<billed>\d+) billed, "
    r"(?P<existing>\d+) already billed, (?P<nothing>\d+) with nothing due, "
    r"(?P<carried>\d+) older bills carried, (?P<failed>\d+) failed \((?P<seconds>[\d.]+) s"
)


def report_parse(text: str) -> dict[str, Any]:
    """The numbers of ``bill_annual``'s report line (the first one, for the kind billed)."""
    match = REPORT_LINE.search(text)
    if match is None:
        raise ValueError(f"no bill_annual report in:\n{text[-2000:]}")
    found = match.groupdict()
    numbers = {key: int(found[key]) for key in ("year", "billed", "existing", "nothing", "carried", "failed")}
    return {"city": found["city"], "kind": found["kind"], **numbers, "seconds": float(found["seconds"])}


def ratios(*, bills: int, seconds: float, raw_rows: int, raw_seconds: float) -> dict[str, float | None]:
    """Billing against the raw COPY of the same rows: rows/s and bills/s of each, and their ratio."""
    billing = bills / seconds if seconds > 0 else None
    raw_bills = bills / raw_seconds if raw_seconds > 0 else None
    return {
        "bills_per_second": round(billing) if billing else None,
        "raw_rows_per_second": round(raw_rows / raw_seconds) if raw_seconds > 0 else None,
        "raw_bills_per_second": round(raw_bills) if raw_bills else None,
        "ratio_to_raw": round(billing / raw_bills, 3) if billing and raw_bills else None,
    }


def summary_text(result: dict[str, Any]) -> str:
    b, raw = result["billing"], result["raw_copy"]
    return "\n".join(
        [
            f"annual billing, {result['properties']:,} properties, {result['database']}, fiscal year "
            f"{result['fiscal_year']}, chunk {result['chunk']}:",
            f"  billed {b['billed']:,} ({b['carried']:,} older bills carried, {b['failed']:,} failed) in "
            f"{b['seconds']:.1f} s: {b['bills_per_second'] or 0:,} bills/s; "
            f"peak RSS {b['peak_rss_mb']:.0f} MB (process wall time {b['wall_seconds']:.1f} s)",
            f"  raw COPY of the same {raw['rows']:,} rows ({raw['rows_by_table']}) into clones with the same "
            f"indexes: {raw['seconds']:.1f} s, {raw['rows_per_second'] or 0:,} rows/s = "
            f"{raw['bills_per_second'] or 0:,} bills/s",
            f"  billing / raw COPY = {result['ratio_to_raw']}",
        ]
    )


def _connect(database: str) -> Any:
    import psycopg

    return psycopg.connect(f"{PG}/{database}", autocommit=True)


def _scalar(conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def properties_top_up(*, env: dict[str, str], database: str, properties: int) -> int:
    """Generate the properties still missing (owners and some people with them); the count after."""
    with _connect(database) as conn:
        have = int(_scalar(conn, "SELECT count(*) FROM fees_property") or 0)
    missing = properties - have
    if missing > 0:
        people = max(100, missing // 10)
        log(f"bench.generate --properties {missing:,} --people {people:,}")
        args = ["--cases", "0", "--properties", str(missing), "--people", str(people)]
        done = subprocess.run(  # noqa: S603
            [PY, "-m", "bench.generate", *args, "--businesses", "0", "--vehicles", "0"],
            env=env, cwd=ROOT, text=True, capture_output=True, check=False,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"bench.generate failed:\n{done.stderr[-3000:]}")
        have += missing
    return have


def earlier_bills_delete(*, database: str, year: int) -> int:
    """Delete the annual bills of ``year`` (an earlier benchmark run's) and undo what they did."""
    with _connect(database) as conn, conn.transaction():
        conn.execute(
            "CREATE TEMP TABLE gone ON COMMIT DROP AS SELECT id, number FROM billing_bill "
            "WHERE kind = 'annual' AND fiscal_year = %s "
            "AND city_id = (SELECT id FROM offices_city WHERE code = %s)",
            [year, CITY],
        )
        gone = int(_scalar(conn, "SELECT count(*) FROM gone") or 0)
        if gone:
            conn.execute(
                "UPDATE billing_bill SET status = CASE WHEN paid > 0 THEN 'partly_paid' ELSE 'open' END, "
                "version = version - 1 WHERE status = 'carried' AND id IN (SELECT carried_from_id FROM "
                "billing_billitem WHERE bill_id IN (SELECT id FROM gone) AND carried_from_id IS NOT NULL)"
            )
            conn.execute(
                "DELETE FROM billing_billevent WHERE kind = 'amended' AND payload ? 'carried_into' "
                "AND payload->>'carried_into' IN (SELECT number FROM gone)"
            )
            conn.execute("DELETE FROM billing_billevent WHERE bill_id IN (SELECT id FROM gone)")
            conn.execute("DELETE FROM billing_billitem WHERE bill_id IN (SELECT id FROM gone)")
            memo = f"annual {CITY} {year} %"
            conn.execute(
                "DELETE FROM billing_ledgerentry WHERE transaction_id IN (SELECT id FROM "
                "billing_ledgertransaction WHERE kind = 'bill_issued' AND memo LIKE %s)",
                [memo],
            )
            conn.execute(
                "DELETE FROM billing_ledgertransaction WHERE kind = 'bill_issued' AND memo LIKE %s", [memo]
            )
            conn.execute("DELETE FROM billing_bill WHERE id IN (SELECT id FROM gone)")
        conn.execute("DELETE FROM fees_billingrun WHERE fiscal_year = %s AND kind = 'property'", [year])
    with _connect(database) as conn:  # outside a transaction: the next run starts on tidy tables
        for table in TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")
    return gone


def max_ids(database: str) -> dict[str, int]:
    with _connect(database) as conn:
        return {
            table: int(_scalar(conn, f"SELECT coalesce(max(id), 0) FROM {table}") or 0) for table in TABLES
        }


def bill_annual_measure(*, env: dict[str, str], year: int, chunk: int) -> dict[str, Any]:
    """Run ``bill_annual`` in a subprocess: its report, wall time and peak RSS (from wait4)."""
    command = [PY, "manage.py", "bill_annual", "--city", CITY, "--fiscal-year", str(year),
               "--kind", "property", "--chunk", str(chunk), "--no-progress"]  # fmt: skip
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=err, text=True)  # noqa: S603
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode:
        raise RuntimeError(f"bill_annual failed ({process.returncode}):\n{stdout}\n{stderr[-3000:]}")
    found = report_parse(stdout)
    return {
        **found,
        "wall_seconds": round(wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # kilobytes on Linux
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
    }


def raw_copy_measure(*, database: str, after: dict[str, int], workdir: Path) -> dict[str, Any]:
    """Export the rows written since ``after`` (max id per table), time COPYing them into clones."""
    files, rows = {}, {}
    with _connect(database) as conn:
        for table in TABLES:
            files[table] = workdir / f"{table}.copy"
            with conn.cursor() as cursor, files[table].open("wb") as fh:
                select = f"COPY (SELECT * FROM {table} WHERE id > {after[table]} ORDER BY id) TO STDOUT"
                with cursor.copy(select) as copy:
                    for block in copy:
                        fh.write(block)
            rows[table] = int(
                _scalar(conn, f"SELECT count(*) FROM {table} WHERE id > %s", [after[table]]) or 0
            )
        clones = {table: f"bench_copy_{table}" for table in TABLES}
        try:
            for table, clone in clones.items():
                conn.execute(f"DROP TABLE IF EXISTS {clone}")
                conn.execute(f"CREATE TABLE {clone} (LIKE {table} INCLUDING ALL)")
            started = time.perf_counter()
            with conn.transaction(), conn.cursor() as cursor:
                for table, clone in clones.items():
                    with cursor.copy(f"COPY {clone} FROM STDIN") as copy, files[table].open("rb") as fh:
                        while block := fh.read(1 << 20):
                            copy.write(block)
            seconds = time.perf_counter() - started
        finally:
            for clone in clones.values():
                conn.execute(f"DROP TABLE IF EXISTS {clone}")
            for path in files.values():
                path.unlink(missing_ok=True)
    return {"rows": sum(rows.values()), "rows_by_table": rows, "seconds": round(seconds, 2)}


def billing_bench(
    *,
    database: str = "daftar_bench_billing",
    properties: int = 100_000,
    fiscal_year: int = FISCAL_YEAR,
    chunk: int = 2000,
    fresh: bool = False,
) -> dict[str, Any]:
    """Set up, bill, measure against a raw COPY; the result as a dict (see the module docstring)."""
    database_ensure(database, fresh)
    env = bench_env(database)
    log("migrate")
    manage(env, "migrate", "--no-input")
    log("demo_load (idempotent)")
    manage(env, "demo_load", "--allow-production")
    have = properties_top_up(env=env, database=database, properties=properties)
    gone = earlier_bills_delete(database=database, year=fiscal_year)
    log(f"{have:,} properties; deleted {gone:,} bills of {fiscal_year} from an earlier run")
    before = max_ids(database)
    log(f"bill_annual --fiscal-year {fiscal_year} --kind property --chunk {chunk}")
    billing = bill_annual_measure(env=env, year=fiscal_year, chunk=chunk)
    log(f"  {billing['billed']:,} bills in {billing['seconds']} s, peak RSS {billing['peak_rss_mb']} MB")
    log("raw COPY of the same rows into clones of the tables")
    with tempfile.TemporaryDirectory(prefix="daftar-bench-billing-") as workdir:
        raw = raw_copy_measure(database=database, after=before, workdir=Path(workdir))
    numbers = ratios(bills=billing["billed"], seconds=billing["seconds"], raw_rows=raw["rows"],
                     raw_seconds=raw["seconds"])  # fmt: skip
    billing["bills_per_second"] = numbers["bills_per_second"]
    raw["rows_per_second"] = numbers["raw_rows_per_second"]
    raw["bills_per_second"] = numbers["raw_bills_per_second"]
    return {
        "benchmark": "annual_billing",
        "database": database,
        "properties": have,
        "fiscal_year": fiscal_year,
        "chunk": chunk,
        "load_average_before": os.getloadavg(),
        "billing": billing,
        "raw_copy": raw,
        "ratio_to_raw": numbers["ratio_to_raw"],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.billing", description=__doc__.split("\n\n")[0])
    parser.add_argument("--properties", type=int, default=100_000, help="properties in the city (topped up)")
    parser.add_argument("--database", default="daftar_bench_billing", help="a daftar_bench_* database")
    parser.add_argument("--fiscal-year", type=int, default=FISCAL_YEAR)
    parser.add_argument("--chunk", type=int, default=2000, help="bill_annual --chunk")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database first")
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args(argv)
    result = billing_bench(
        database=args.database, properties=args.properties, fiscal_year=args.fiscal_year, chunk=args.chunk,
        fresh=args.fresh,
    )  # fmt: skip
    print(summary_text(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
