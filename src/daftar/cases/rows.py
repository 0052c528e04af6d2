"""Rows of case lists (inbox, search, the citizen's cases): read as plain values, never as models.

A list shows a dozen facts per case. Reading them as model instances built six models per row
(case, version, service, applicant, office, city), most of an inbox page's time at 50 rows
(docs/performance.md). Here one ``values()`` query brings exactly those facts, and the few
things shared by many rows (a city's working weekdays and holidays, a version's workflow) come
from the per-process caches. Pages and the API read the same attribute paths as before
(``row.case.service_version.name``, ``row.case.applicant.display_name``, ``row.case.office.code``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from daftar.accounts.models import person_display_name
from daftar.core.i18n import pick
from daftar.offices import calendar
from daftar.offices.selectors import city_calendar

ROW_VALUES = (
    "id", "tracking_code", "state", "version", "due_date", "state_due_date", "paused_on", "overdue",
    "escalated", "closed_at", "created_at", "outcome", "city_id", "office_id", "service_version_id",
    "service_version__content_hash", "service_version__name_fa", "service_version__name_en",
    "service_type__code", "applicant_id", "applicant__kind", "applicant__national_code",
    "applicant__first_name", "applicant__last_name", "applicant__legal_name", "office__code",
    "office__name",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ServiceHead:
    code: str
    name_fa: str
    name_en: str

    @property
    def name(self) -> str:
        return pick(self.name_fa, self.name_en)


@dataclass(frozen=True, slots=True)
class ApplicantHead:
    id: int
    display_name: str


@dataclass(frozen=True, slots=True)
class OfficeHead:
    id: int
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One case as a list shows it."""

    pk: int
    tracking_code: str
    state: str
    version: int
    due_date: date | None
    state_due_date: date | None
    paused_on: date | None
    overdue: bool
    escalated: bool
    closed_at: datetime | None
    created_at: datetime
    outcome: str
    city_id: int
    service_version_id: int
    content_hash: str
    service_version: ServiceHead  # the version's name; ``service_type`` is the same head (its code)
    applicant: ApplicantHead
    office: OfficeHead | None

    @property
    def id(self) -> int:
        return self.pk

    @property
    def service_type(self) -> ServiceHead:
        return self.service_version


def case_row(values: Mapping[str, Any]) -> CaseRow:
    service = ServiceHead(
        code=values["service_type__code"],
        name_fa=values["service_version__name_fa"],
        name_en=values["service_version__name_en"],
    )
    applicant = ApplicantHead(
        id=values["applicant_id"],
        display_name=person_display_name(
            kind=values["applicant__kind"],
            national_code=values["applicant__national_code"],
            first_name=values["applicant__first_name"],
            last_name=values["applicant__last_name"],
            legal_name=values["applicant__legal_name"],
        ),
    )
    office = (
        OfficeHead(id=values["office_id"], code=values["office__code"], name=values["office__name"])
        if values["office_id"] is not None
        else None
    )
    return CaseRow(
        pk=values["id"],
        tracking_code=values["tracking_code"],
        state=values["state"],
        version=values["version"],
        due_date=values["due_date"],
        state_due_date=values["state_due_date"],
        paused_on=values["paused_on"],
        overdue=values["overdue"],
        escalated=values["escalated"],
        closed_at=values["closed_at"],
        created_at=values["created_at"],
        outcome=values["outcome"],
        city_id=values["city_id"],
        service_version_id=values["service_version_id"],
        content_hash=values["service_version__content_hash"],
        service_version=service,
        applicant=applicant,
        office=office,
    )


def working_days_left(rows: Sequence[CaseRow], *, today: date) -> list[int | None]:
    """Working days from today to each row's due date (negative when overdue; None while paused)."""
    dues = [d for row in rows for d in (row.state_due_date, row.due_date) if d is not None]
    low, high = min([today, *dues]), max([today, *dues])
    calendars = {
        city_id: city_calendar(city_id=city_id, start=low, end=high) for city_id in {r.city_id for r in rows}
    }
    left: list[int | None] = []
    for row in rows:
        due = row.state_due_date or row.due_date
        if due is None or row.paused_on is not None:
            left.append(None)
            continue
        weekdays, holidays = calendars[row.city_id]
        left.append(calendar.working_days_between(today, due, working_weekdays=weekdays, holidays=holidays))
    return left
