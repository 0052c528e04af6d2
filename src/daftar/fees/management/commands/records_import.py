"""Import a register (properties, businesses or vehicles) from a CSV file. Formats: docs/fees.md."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from daftar.core.errors import DomainError
from daftar.fees.records import csv_rows
from daftar.fees.selectors import city_by_code
from daftar.fees.services import KINDS, RejectedRow, records_import


def _count_rows(path: Path) -> int:
    """Lines after the header, counted in binary blocks (a rough total for the progress bar)."""
    lines = 0
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            lines += block.count(b"\n")
    return max(lines - 1, 0)


class _RejectedReport:
    """Rejected rows with their line and reasons: to a CSV file, or to stderr when none is named."""

    def __init__(self, path: Path | None, stderr: Any) -> None:
        self.path, self.stderr = path, stderr
        self.stream: TextIO | None = None
        self.writer: Any = None
        self.columns: list[str] = []

    def __call__(self, rejected: RejectedRow) -> None:
        if self.path is None:
            self.stderr.write(f"line {rejected.line}: {' | '.join(rejected.reasons)}\n")
            return
        if self.writer is None:
            self.stream = self.path.open("w", encoding="utf-8-sig", newline="")
            self.columns = list(rejected.cells)
            self.writer = csv.writer(self.stream)
            self.writer.writerow(["سطر", "ایرادها", *self.columns])
        cells = [rejected.cells.get(column, "") for column in self.columns]
        self.writer.writerow([rejected.line, " | ".join(rejected.reasons), *cells])

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()


class Command(BaseCommand):
    help = "Create or update registered properties, businesses or vehicles from a UTF-8 CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file (UTF-8, with or without BOM)")
        parser.add_argument("--city", required=True, help="city code, e.g. tehran")
        parser.add_argument("--kind", required=True, choices=KINDS)
        parser.add_argument(
            "--rejected", type=Path, help="write rejected rows with their reasons to this CSV"
        )
        parser.add_argument("--chunk", type=int, default=1000, help="rows per transaction (default 1000)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        city = city_by_code(code=options["city"])
        if city is None:
            raise CommandError(f"no city with code {options['city']!r}")
        show = not options["no_progress"] and sys.stderr.isatty()
        bar = tqdm(
            total=_count_rows(path) if show else None, desc=options["kind"], unit="row", file=sys.stderr,
            disable=not show,
        )  # fmt: skip
        rejected = _RejectedReport(options["rejected"], self.stderr)
        try:
            with path.open(encoding="utf-8-sig", newline="") as stream:
                report = records_import(
                    city=city,
                    kind=options["kind"],
                    rows=csv_rows(stream),
                    chunk=options["chunk"],
                    on_rejected=rejected,
                    progress=bar,
                )
        except UnicodeDecodeError as error:
            raise CommandError(
                f"{path} is not UTF-8 text (byte {error.start}); save it as CSV UTF-8"
            ) from None
        except (DomainError, csv.Error) as error:
            raise CommandError(str(error)) from None
        finally:
            bar.close()
            rejected.close()
        self.stdout.write(
            f"records_import {options['kind']}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.rejected} rejected"
            + (f" (see {options['rejected']})" if report.rejected and options["rejected"] else "")
        )
