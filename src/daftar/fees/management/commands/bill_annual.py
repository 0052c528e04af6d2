"""Issue the year's annual bills of every registered record of a city. Guarantees: docs/fees.md.

Test hook: with the environment variable ``DAFTAR_BILL_ANNUAL_CRASH_AFTER_CHUNKS=N`` the process
dies abruptly (``os._exit(1)``) in the middle of chunk N+1, after its writes and before its commit,
as a crash would; the restart test uses it. Never set it anywhere else.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from daftar.core.errors import DomainError
from daftar.fees.selectors import city_by_code
from daftar.fees.services import KINDS, ChunkHook, annual_bills_run

CRASH_ENV = "DAFTAR_BILL_ANNUAL_CRASH_AFTER_CHUNKS"


def _crash_hook() -> ChunkHook | None:
    after = os.environ.get(CRASH_ENV)
    if not after:
        return None

    def crash(committed: int) -> None:
        if committed >= int(after):
            sys.stderr.write(f"bill_annual: {CRASH_ENV}={after}: dying in the middle of a chunk\n")
            sys.stderr.flush()
            os._exit(1)

    return crash


class Command(BaseCommand):
    help = "Bill every registered property, business and vehicle of a city for a fiscal year (restartable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", required=True, help="city code, e.g. tehran")
        parser.add_argument("--fiscal-year", type=int, required=True, help="Jalali year, e.g. 1405")
        parser.add_argument("--kind", choices=KINDS, help="only this kind of record (default: each in turn)")
        parser.add_argument("--chunk", type=int, default=2000, help="records per transaction (default 2000)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        city = city_by_code(code=options["city"])
        if city is None:
            raise CommandError(f"no city with code {options['city']!r}")
        show = not options["no_progress"] and sys.stderr.isatty()
        progress = functools.partial(tqdm, file=sys.stderr, disable=not show, dynamic_ncols=True)
        try:
            report = annual_bills_run(
                city=city,
                fiscal_year=options["fiscal_year"],
                kind=options["kind"],
                chunk=options["chunk"],
                progress=progress,
                chunk_hook=_crash_hook(),
            )
        except DomainError as error:
            raise CommandError(str(error)) from None
        for part in report.kinds:
            resumed = f", resumed after record #{part.resumed_after}" if part.resumed_after else ""
            self.stdout.write(
                f"bill_annual {report.city} {report.fiscal_year} {part.kind}: {part.billed} billed, "
                f"{part.skipped_existing} already billed, {part.nothing_due} with nothing due, "
                f"{part.carried} older bills carried, {part.failed} failed "
                f"({part.seconds:.1f} s, {part.bills_per_second:.0f} bills/s{resumed})"
            )
            for key, reason in part.failures:
                self.stderr.write(f"  {part.kind} {key}: {reason}")
            if part.failed > len(part.failures):
                self.stderr.write(f"  … and {part.failed - len(part.failures)} more failures")
