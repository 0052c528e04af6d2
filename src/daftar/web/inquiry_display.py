"""How inquiries (استعلام) read on a page: state and outcome in words, the answer under the type's
titles, and how late a pending one is. Pure presentation over what the selectors returned, except
``with_days_left``, which reads the holidays once for a whole page of rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from daftar.inquiries.models import Inquiry, InquiryState, Outcome
from daftar.offices import calendar
from daftar.offices.models import City, Holiday

from .case_display import IntakeRow, schema_rows

STATE_LABELS: dict[str, Promise] = {
    InquiryState.PENDING: _("Awaiting answer"),
    InquiryState.ANSWERED: _("Answered"),
    InquiryState.CANCELLED: _("Withdrawn"),
}
OUTCOME_LABELS: dict[str, Promise] = {
    Outcome.POSITIVE: _("No objection"),
    Outcome.NEGATIVE: _("Objection"),
    Outcome.CONDITIONAL: _("Conditional"),
}
OUTCOME_CHOICES: list[tuple[str, Promise]] = list(OUTCOME_LABELS.items())


@dataclass(frozen=True)
class InquiryRow:
    inquiry: Inquiry
    state_label: str
    outcome_label: str
    answer: list[IntakeRow]  # the agency's answer under the type's titles (empty until answered)
    late: bool  # pending past its deadline
    working_days_left: int | None = None  # pending only, and only where computed (negative: late)

    @property
    def pending(self) -> bool:
        return self.inquiry.state == InquiryState.PENDING


def inquiry_row(inquiry: Inquiry, *, today: date) -> InquiryRow:
    pending = inquiry.state == InquiryState.PENDING
    return InquiryRow(
        inquiry=inquiry,
        state_label=str(STATE_LABELS.get(inquiry.state, inquiry.state)),
        outcome_label=str(OUTCOME_LABELS.get(inquiry.outcome, inquiry.outcome)) if inquiry.outcome else "",
        answer=schema_rows(inquiry.inquiry_type.answer_schema or {}, inquiry.answer or {})
        if inquiry.answer
        else [],
        late=pending and (inquiry.overdue or inquiry.due_date < today),
    )


def inquiry_rows(inquiries: Iterable[Inquiry], *, today: date) -> list[InquiryRow]:
    return [inquiry_row(inquiry, today=today) for inquiry in inquiries]


def with_days_left(rows: Sequence[InquiryRow], *, today: date) -> list[InquiryRow]:
    """The rows with the working days left to each pending inquiry's deadline (two queries for the
    page: the cities' working weekdays and the holidays between today and the furthest deadline)."""
    pending = [row for row in rows if row.pending]
    if not pending:
        return list(rows)
    dues = [row.inquiry.due_date for row in pending]
    low, high = min([today, *dues]), max([today, *dues])
    city_ids = {row.inquiry.case.city_id for row in pending}
    weekdays = {
        pk: frozenset(days)
        for pk, days in City.objects.filter(pk__in=city_ids).values_list("pk", "working_weekdays")
    }
    holidays = set(
        Holiday.objects.filter(
            Q(city_id__in=city_ids) | Q(city__isnull=True), date__gte=low - timedelta(days=1), date__lte=high
        ).values_list("date", flat=True)
    )
    result = []
    for row in rows:
        if row.pending:
            left = calendar.working_days_between(
                today,
                row.inquiry.due_date,
                working_weekdays=weekdays.get(row.inquiry.case.city_id, frozenset()),
                holidays=holidays,
            )
            row = replace(row, working_days_left=left, late=row.late or left < 0)
        result.append(row)
    return result
