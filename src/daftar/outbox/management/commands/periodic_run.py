"""Run the periodic jobs of CELERY_BEAT_SCHEDULE in this process, each on its own schedule.

For the embedded default (no broker: tasks run eagerly, no beat): ``make run`` starts it next to
runserver. Production runs ``celery -A daftar beat`` instead. ``--once`` runs every job once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from celery.schedules import maybe_schedule
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from daftar.celery import app as celery_app

logger = logging.getLogger("daftar.periodic")


@dataclass
class Job:
    name: str
    task: Any  # a celery Task, called in-process
    schedule: Any  # a celery schedule (interval or crontab)
    last_run_at: datetime | None = None


class Command(BaseCommand):
    help = "Run the beat-scheduled jobs in-process on their intervals (the embedded default's scheduler)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every job once and stop.")
        parser.add_argument(
            "--interval",
            type=float,
            default=30.0,
            help="Longest sleep between checks for due jobs, in seconds (default 30).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0:
            raise CommandError("--interval must be positive")
        jobs = self._jobs()
        if options["once"]:
            failed = [job.name for job in jobs if not self._run(job)]
            if failed:
                raise CommandError(f"periodic_run: failed: {', '.join(failed)}")
            return
        self.stdout.write(f"periodic_run: {len(jobs)} job(s): {', '.join(job.name for job in jobs)}")
        try:
            self._loop(jobs, interval=float(options["interval"]))
        except KeyboardInterrupt:
            self.stdout.write("periodic_run: stopped")

    def _jobs(self) -> list[Job]:
        celery_app.loader.import_default_modules()  # every app's tasks.py
        jobs = []
        for name, entry in sorted(settings.CELERY_BEAT_SCHEDULE.items()):
            try:
                task = celery_app.tasks[entry["task"]]
            except KeyError:
                raise CommandError(f"periodic job {name!r} names unknown task {entry['task']!r}") from None
            jobs.append(Job(name=name, task=task, schedule=maybe_schedule(entry["schedule"], app=celery_app)))
        return jobs

    def _loop(self, jobs: list[Job], *, interval: float) -> None:
        while True:
            wait = interval
            for job in jobs:
                if job.last_run_at is None:
                    due, next_in = True, job.schedule.remaining_estimate(job.schedule.now()).total_seconds()
                else:
                    due, next_in = job.schedule.is_due(job.last_run_at)
                if due:
                    self._run(job)
                wait = min(wait, max(float(next_in), 1.0))
            close_old_connections()  # a long-lived process: drop broken or expired connections
            time.sleep(wait)

    def _run(self, job: Job) -> bool:
        job.last_run_at = job.schedule.now()
        started = time.monotonic()
        try:
            result = job.task()
        except Exception:
            logger.exception("periodic_run: %s failed", job.name)
            return False
        level = logging.INFO if result else logging.DEBUG  # quiet while there is nothing to do
        logger.log(level, "periodic_run: %s -> %r in %.1fs", job.name, result, time.monotonic() - started)
        return True
