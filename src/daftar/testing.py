"""Helpers shared by the test suites (not used by the application)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def run_at_once(calls: list[Callable[[], Any]], *, timeout: float = 60) -> list[Any]:
    """Run the calls in threads released together by a barrier, each on its own database
    connection; a call's result, or the exception it raised, in the calls' order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results


def shipped_service(file_name: str, code: str) -> Any:
    """Load one service of a shipped catalogue file (``catalog/<file_name>``) with the shared
    workflows; the service categories must be loaded already (the ``categories`` fixture)."""
    from pathlib import Path

    import yaml
    from django.conf import settings

    from daftar.catalog.models import ServiceCategory
    from daftar.catalog.services import service_entry_compile, service_version_load

    directory = Path(settings.DAFTAR_CATALOG_DIR)
    workflows = yaml.safe_load((directory / "workflows.yaml").read_text(encoding="utf-8"))
    entries = yaml.safe_load((directory / file_name).read_text(encoding="utf-8"))
    entry = next(item for item in entries if item["code"] == code)
    categories = {c.code: c for c in ServiceCategory.objects.all()}
    compiled = service_entry_compile(entry, workflows=workflows, categories=categories)
    return service_version_load(compiled=compiled)[0]
