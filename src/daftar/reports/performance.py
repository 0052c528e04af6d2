"""How the city's e-city service offices performed, per office and Jalali month (reads only).

For each office of a city and a Jalali month of the city's local days (``month_range``):

* ``filed``: cases filed at the office (``Case.office``) whose ``created_at`` falls in the month;
* ``closed``: cases of the office closed in the month (``closed_at``);
* ``closed_on_time``: of those, the ones closed on or before their overall due date
  (``Case.due_date``, compared with the local date of ``closed_at``) and never marked ``overdue``;
  a case without a due date counts on time unless it was marked overdue. ``sla_adherence`` is
  ``closed_on_time / closed`` (none when nothing closed);
* ``overdue_open``: the office's open cases marked overdue *now* (a current figure, whatever the
  month shown);
* ``rated`` and ``rating``: how many cases closed in the month the applicant rated (1–5) and the
  average of those ratings;
* ``complaints``: cases of the service ``complaint.office_conduct`` filed in the month whose
  ``links["office"]`` is the office's code; ``complaints_per_100`` relates them to the cases filed
  at the office in the month (none when it filed none);
* ``revenue``: the tariff (کارمزد) the office earned in the month, exactly the ``earned_total`` of
  ``billing.settlement.office_settlement`` (its own counter tariff plus tariff earned on bills paid
  elsewhere, less tariff refunded): money is never derived twice.

The composite score (0–100) ranks the offices; it exists only for an office that closed at least
one case in the month (an office that closed nothing cannot be judged and is ranked last)::

    S = sla_adherence                                   (0–1)
    R = (rating − 1) / 4                                (0–1; left out when no case was rated)
    C = max(0, 1 − complaints_per_100 / 10)             (0–1; ten complaints per 100 cases → 0;
                                                         with no case filed: 1 without complaints, else 0)
    score = 100 × (50·S + 30·R + 20·C) / (50 + 30 + 20)  (a left-out R drops its weight: ÷ 70)

Every figure of a month for all of a city's offices comes from a fixed number of aggregate queries
(offices, case figures, complaints, and the settlement's five), whatever the number of offices; an
office's last twelve months likewise (one query for the case figures, one for the complaints, and
the settlement of each month).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncDate
from django.db.models.lookups import LessThanOrEqual

from daftar.accounts.roles import Role
from daftar.billing.settlement import month_range, office_settlement
from daftar.cases.models import Case
from daftar.core.jalali import local_today, to_jalali
from daftar.offices.models import City, Office
from daftar.offices.selectors import city_timezone

# The municipal roles that read the performance of a city's offices.
PERFORMANCE_ROLES = frozenset(
    {Role.LICENSING_OFFICER.value, Role.CITY_ADMINISTRATOR.value, Role.AUDITOR.value}
)
COMPLAINT_SERVICE = "complaint.office_conduct"

# The composite score's weights (see the module's docstring).
WEIGHT_SLA = 50
WEIGHT_RATING = 30
WEIGHT_COMPLAINTS = 20
COMPLAINTS_PER_100_AT_ZERO = 10  # this many complaints per 100 cases filed zero the complaints part
HISTORY_MONTHS = 12


@dataclass(frozen=True)
class Period:
    """A Jalali month of the city's local days, ``[start, end)``."""

    year: int
    month: int
    start: datetime
    end: datetime


def period_of(*, city: City, year: int, month: int) -> Period:
    start, end = month_range(city=city, year=year, month=month)
    return Period(year=year, month=month, start=start, end=end)


def current_month() -> tuple[int, int]:
    """The Jalali (year, month) of today in Tehran."""
    today = to_jalali(local_today())
    return int(today.year), int(today.month)


def months_back(*, year: int, month: int, count: int) -> list[tuple[int, int]]:
    """``count`` Jalali months ending with (year, month), oldest first."""
    index = year * 12 + (month - 1)
    return [(i // 12, i % 12 + 1) for i in range(index - count + 1, index + 1)]


@dataclass(frozen=True)
class OfficePerformance:
    """One office's month; ``rank`` is its place by score among the city's offices (None unranked)."""

    office: Office
    year: int
    month: int
    filed: int = 0
    closed: int = 0
    closed_on_time: int = 0
    rated: int = 0
    rating_total: int = 0
    complaints: int = 0
    revenue: int = 0  # rials
    overdue_open: int = 0
    rank: int | None = None

    @property
    def office_code(self) -> str:
        return self.office.code

    @property
    def office_name(self) -> str:
        return self.office.name

    @property
    def sla_adherence(self) -> float | None:
        """Share (0–1) of the cases closed in the month that were closed on time."""
        return self.closed_on_time / self.closed if self.closed else None

    @property
    def sla_percent(self) -> float | None:
        share = self.sla_adherence
        return None if share is None else round(share * 100, 1)

    @property
    def rating(self) -> float | None:
        """The average rating (1–5) of the cases closed in the month that were rated."""
        return self.rating_total / self.rated if self.rated else None

    @property
    def complaints_per_100(self) -> float | None:
        return 100 * self.complaints / self.filed if self.filed else None

    @property
    def score(self) -> float | None:
        """The composite score (0–100, one decimal), or None when the office closed nothing."""
        sla = self.sla_adherence
        if sla is None:
            return None
        per_100 = self.complaints_per_100
        if per_100 is None:
            complaints_part = 0.0 if self.complaints else 1.0
        else:
            complaints_part = max(0.0, 1 - per_100 / COMPLAINTS_PER_100_AT_ZERO)
        total = WEIGHT_SLA * sla + WEIGHT_COMPLAINTS * complaints_part
        weights = WEIGHT_SLA + WEIGHT_COMPLAINTS
        rating = self.rating
        if rating is not None:
            total += WEIGHT_RATING * (rating - 1) / 4
            weights += WEIGHT_RATING
        return round(100 * total / weights, 1)

    @property
    def is_idle(self) -> bool:
        return not (self.filed or self.closed or self.complaints or self.revenue or self.overdue_open)


# --- sorting -------------------------------------------------------------------------------------

# metric → (its value, whether a larger value is better). Rows without a value always come last.
SORT_KEYS: dict[str, tuple[Callable[[OfficePerformance], float | int | None], bool]] = {
    "score": (lambda r: r.score, True),
    "filed": (lambda r: r.filed, True),
    "closed": (lambda r: r.closed, True),
    "sla": (lambda r: r.sla_adherence, True),
    "overdue": (lambda r: r.overdue_open, False),
    "rating": (lambda r: r.rating, True),
    "complaints": (lambda r: r.complaints, False),
    "revenue": (lambda r: r.revenue, True),
}
DEFAULT_SORT = "score"


def performance_sort(rows: Iterable[OfficePerformance], *, by: str) -> list[OfficePerformance]:
    """The rows best first by ``by`` (fewest first for complaints and overdue cases); rows without
    a value last; ties in office-code order. An unknown metric is refused (ValueError)."""
    if by not in SORT_KEYS:
        raise ValueError(f"unknown metric: {by!r}")
    value_of, larger_first = SORT_KEYS[by]

    def key(row: OfficePerformance) -> tuple[int, float, str]:
        value = value_of(row)
        if value is None:
            return (1, 0.0, row.office_code)
        return (0, -float(value) if larger_first else float(value), row.office_code)

    return sorted(rows, key=key)


def _ranked(rows: list[OfficePerformance]) -> list[OfficePerformance]:
    """Rank by score, ties sharing a place (1, 2, 2, 4); offices without a score are unranked."""
    ordered = performance_sort(rows, by="score")
    ranked: list[OfficePerformance] = []
    previous: float | None = None
    place = 0
    for position, row in enumerate(ordered, start=1):
        score = row.score
        if score is None:
            ranked.append(row)
            continue
        if score != previous:
            place, previous = position, score
        ranked.append(dataclasses.replace(row, rank=place))
    return ranked


# --- the aggregate queries -----------------------------------------------------------------------


def _case_figures(
    cases: QuerySet[Case], periods: Sequence[Period], tz: ZoneInfo
) -> dict[int, dict[str, int]]:
    """office id → figures ``filed_i``, ``closed_i``, ``on_time_i``, ``rated_i``, ``rating_total_i``
    per period ``i`` and ``overdue_open``: one grouped query."""
    on_time = Q(overdue=False) & (
        Q(due_date__isnull=True) | Q(LessThanOrEqual(TruncDate("closed_at", tzinfo=tz), F("due_date")))
    )
    aggregates: dict[str, Any] = {"overdue_open": Count("pk", filter=Q(closed_at__isnull=True, overdue=True))}
    for i, period in enumerate(periods):
        filed = Q(created_at__gte=period.start, created_at__lt=period.end)
        closed = Q(closed_at__gte=period.start, closed_at__lt=period.end)
        aggregates[f"filed_{i}"] = Count("pk", filter=filed)
        aggregates[f"closed_{i}"] = Count("pk", filter=closed)
        aggregates[f"on_time_{i}"] = Count("pk", filter=closed & on_time)
        aggregates[f"rated_{i}"] = Count("rating", filter=closed)
        aggregates[f"rating_total_{i}"] = Sum("rating", filter=closed)
    first, last = periods[0].start, periods[-1].end
    window = (
        Q(created_at__gte=first, created_at__lt=last)
        | Q(closed_at__gte=first, closed_at__lt=last)
        | Q(closed_at__isnull=True, overdue=True)
    )
    rows = cases.filter(window).order_by().values("office").annotate(**aggregates)
    return {
        int(row["office"]): {name: int(row[name] or 0) for name in aggregates}
        for row in rows
        if row["office"] is not None
    }


def _complaint_counts(
    *, city: City, periods: Sequence[Period], office_code: str | None = None
) -> dict[str, list[int]]:
    """office code → complaints filed in each period: one grouped query."""
    complaints = Case.objects.filter(
        city=city,
        service_type__code=COMPLAINT_SERVICE,
        created_at__gte=periods[0].start,
        created_at__lt=periods[-1].end,
    )
    if office_code is not None:
        complaints = complaints.filter(links__office=office_code)
    aggregates = {
        f"n_{i}": Count("pk", filter=Q(created_at__gte=p.start, created_at__lt=p.end))
        for i, p in enumerate(periods)
    }
    rows = (
        complaints.annotate(office_code=KeyTextTransform("office", "links"))
        .order_by()
        .values("office_code")
        .annotate(**aggregates)
    )
    return {
        str(row["office_code"]): [int(row[f"n_{i}"] or 0) for i in range(len(periods))]
        for row in rows
        if row["office_code"]
    }


def _revenue(*, city: City, period: Period) -> dict[int, int]:
    """office id → tariff earned in the month, from the settlement."""
    return {
        row.office.pk: row.earned_total
        for row in office_settlement(city=city, year=period.year, month=period.month)
        if row.office is not None
    }


def _row(
    office: Office,
    period: Period,
    index: int,
    figures: dict[str, int],
    complaints: int,
    revenue: int,
) -> OfficePerformance:
    return OfficePerformance(
        office=office,
        year=period.year,
        month=period.month,
        filed=figures.get(f"filed_{index}", 0),
        closed=figures.get(f"closed_{index}", 0),
        closed_on_time=figures.get(f"on_time_{index}", 0),
        rated=figures.get(f"rated_{index}", 0),
        rating_total=figures.get(f"rating_total_{index}", 0),
        complaints=complaints,
        revenue=revenue,
        overdue_open=figures.get("overdue_open", 0),
    )


# --- the reads -----------------------------------------------------------------------------------


def city_performance(*, city: City, year: int, month: int) -> list[OfficePerformance]:
    """Every office of the city in the month, those with no activity too, ranked by score (best
    first; offices without a score last, in code order). Eight queries whatever the office count."""
    period = period_of(city=city, year=year, month=month)
    offices = list(Office.objects.filter(city=city).order_by("code"))
    figures = _case_figures(Case.objects.filter(office__city=city), [period], city_timezone(city=city))
    complaints = _complaint_counts(city=city, periods=[period])
    revenue = _revenue(city=city, period=period)
    rows = [
        _row(
            office,
            period,
            0,
            figures.get(office.pk, {}),
            complaints.get(office.code, [0])[0],
            revenue.get(office.pk, 0),
        )
        for office in offices
    ]
    return _ranked(rows)


def office_history(
    *, office: Office, year: int | None = None, month: int | None = None, months: int = HISTORY_MONTHS
) -> list[OfficePerformance]:
    """The office's last ``months`` months ending with (year, month) (default: this month), newest
    first; unranked (a rank is a place among the city's offices in one month)."""
    if year is None or month is None:
        year, month = current_month()
    city = office.city
    periods = [
        period_of(city=city, year=y, month=m) for y, m in months_back(year=year, month=month, count=months)
    ]
    figures = _case_figures(Case.objects.filter(office=office), periods, city_timezone(city=city)).get(
        office.pk, {}
    )
    complaints = _complaint_counts(city=city, periods=periods, office_code=office.code).get(
        office.code, [0] * len(periods)
    )
    rows = [
        _row(office, period, i, figures, complaints[i], _revenue(city=city, period=period).get(office.pk, 0))
        for i, period in enumerate(periods)
    ]
    return list(reversed(rows))
