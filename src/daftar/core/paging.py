"""Pages of lists that may grow without bound (inboxes, search, reports).

Django's ``Paginator`` counts every matching row, and a count over an inbox of a city with
millions of cases costs more than the page itself; the count here stops at ``COUNT_CAP`` rows. A
list with more says so ("more than 1,000") and offers the pages up to the cap, the most anyone
goes through before narrowing the list with a search or filter.
"""

from __future__ import annotations

import inspect
from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.inspect import method_has_no_args

COUNT_CAP = 1_000


class CappedPaginator(Paginator):
    """A paginator whose ``count`` is exact up to ``cap`` rows and ``cap`` beyond; ``capped`` tells which."""

    def __init__(self, object_list: Any, per_page: int, *, cap: int = COUNT_CAP, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _bounded_count(self) -> int:
        # ``qs[:n].count()`` is SELECT COUNT(*) FROM (… LIMIT n): the database stops at n rows.
        rows = self.object_list
        if isinstance(rows, QuerySet):  # count ids alone, unordered: no joins for shown fields, no sort
            rows = rows.order_by().values("pk")
        bounded = rows[: self.cap + 1]
        count = getattr(bounded, "count", None)
        if callable(count) and not inspect.isbuiltin(count) and method_has_no_args(count):
            return int(count())
        return len(bounded)

    @cached_property
    def count(self) -> int:
        return min(self._bounded_count, self.cap)

    @cached_property
    def capped(self) -> bool:
        """More rows match than ``count`` says."""
        return self._bounded_count > self.cap
