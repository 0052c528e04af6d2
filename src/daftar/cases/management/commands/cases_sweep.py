"""Mark overdue cases and escalate them (run every few minutes from cron or the task scheduler)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from daftar.cases.services import cases_sweep_overdue


class Command(BaseCommand):
    help = "Mark open cases past their deadline overdue and escalate them per their workflow."

    def handle(self, *args: Any, **options: Any) -> None:
        marked = cases_sweep_overdue()
        self.stdout.write(f"cases_sweep: {marked} case(s) newly overdue")
