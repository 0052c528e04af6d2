"""How the offices perform: the city's monthly ranking (with charts and an Excel export) for the
municipality, and an office's last twelve months for its manager. Reads only; the figures and the
score are defined in ``daftar.reports.performance``.

Who may see what:

* ``supervision/performance/`` and its Excel file: the city-scoped roles ``licensing_officer``,
  ``city_administrator`` and ``auditor``, for their own city (``?city=code`` among theirs; any
  other city is refused);
* ``office/performance/``: an ``office_manager``, for an office they manage (``?office=code``
  among theirs; any other office is refused). Operators and everyone else are refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language_bidi, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.billing.settlement import month_title
from daftar.core.i18n import is_english
from daftar.core.jalali import MONTH_NAMES_FA
from daftar.core.money import format_rials
from daftar.offices.models import City, Office
from daftar.offices.selectors import offices_staff_of
from daftar.reports.charts import BarChart, ChartItem, bar_chart
from daftar.reports.performance import (
    COMPLAINTS_PER_100_AT_ZERO,
    DEFAULT_SORT,
    PERFORMANCE_ROLES,
    SORT_KEYS,
    WEIGHT_COMPLAINTS,
    WEIGHT_RATING,
    WEIGHT_SLA,
    OfficePerformance,
    city_performance,
    current_month,
    office_history,
    performance_sort,
)
from daftar.reports.xlsx import performance_xlsx

from .intake_form import DescribedForm
from .templatetags.daftar import fa_digits

staff_required = login_required(login_url="web:staff_signin")
FIRST_YEAR = 1395  # the month picker's earliest year
CHART_TOP = 10  # offices drawn in each chart of the ranking page
OFFICE_NAME_PREFIX = "دفتر خدمات الکترونیک شهر"  # catalogue data: how the offices' names begin


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _unit() -> str:
    return str(settings.DAFTAR_MONEY_UNIT)


# --- numbers as people read them -----------------------------------------------------------------


def _decimal(value: float, places: int = 1) -> str:
    text = f"{value:.{places}f}"
    return text if is_english() else fa_digits(text.replace(".", "٫"))


def _percent(value: float | None) -> str:
    return "—" if value is None else _("%(percent)s%%") % {"percent": _decimal(value)}


def _money(value: int) -> str:
    return format_rials(
        value, unit="toman" if _unit() == "toman" else "rial", persian_digits=not is_english()
    )


@dataclass(frozen=True)
class RowView:
    """A row of figures with the ones that are not whole numbers written out for reading."""

    row: OfficePerformance
    month_title: str

    @property
    def sla(self) -> str:
        return _percent(self.row.sla_percent)

    @property
    def rating(self) -> str:
        return "—" if self.row.rating is None else _decimal(self.row.rating, 2)

    @property
    def complaints_per_100(self) -> str:
        per_100 = self.row.complaints_per_100
        return "—" if per_100 is None else _decimal(per_100)

    @property
    def score(self) -> str:
        return "—" if self.row.score is None else _decimal(self.row.score)


def _views(rows: list[OfficePerformance]) -> list[RowView]:
    return [RowView(row=row, month_title=fa_digits(month_title(row.year, row.month))) for row in rows]


# --- the month picker ----------------------------------------------------------------------------


class PerformanceMonthForm(DescribedForm):
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)
    month = forms.TypedChoiceField(
        label=gettext_lazy("Month"),
        coerce=int,
        choices=[(number, name) for number, name in enumerate(MONTH_NAMES_FA, start=1)],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        this_year, _this_month = current_month()
        year_field = self.fields["year"]
        assert isinstance(year_field, forms.TypedChoiceField)
        year_field.choices = [(year, fa_digits(year)) for year in range(this_year, FIRST_YEAR - 1, -1)]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        year, month = cleaned.get("year"), cleaned.get("month")
        if isinstance(year, int) and isinstance(month, int) and (year, month) > current_month():
            self.add_error("month", _("This month has not begun yet."))
        return cleaned


def _month(request: HttpRequest) -> tuple[PerformanceMonthForm, int, int, bool]:
    """The form, the month to show (this month unless a valid one was asked) and whether the
    request asked for a month that is not valid."""
    bound = "year" in request.GET or "month" in request.GET
    year, month = current_month()
    form = PerformanceMonthForm(request.GET if bound else None, initial={"year": year, "month": month})
    if bound and form.is_valid():
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
    return form, year, month, bound and not form.is_valid()


# --- who may see which city or office ------------------------------------------------------------


def _supervised_city(request: HttpRequest) -> City:
    """The city asked for (``?city=code``), or the first of the user's, where the user holds a
    supervising role; refused when the user has none there."""
    cities: dict[str, City] = {}
    for assignment in offices_staff_of(user=_user(request)):
        if assignment.office_id is None and assignment.role in PERFORMANCE_ROLES:
            cities.setdefault(assignment.city.code, assignment.city)
    wanted = request.GET.get("city", "")
    if wanted:
        if wanted not in cities:
            raise PermissionDenied
        return cities[wanted]
    if not cities:
        raise PermissionDenied
    return cities[min(cities)]


def _managed_office(request: HttpRequest) -> tuple[Office, list[Office]]:
    """The office asked for (``?office=code``), or the first, among those the user manages."""
    offices: dict[str, Office] = {}
    for assignment in offices_staff_of(user=_user(request)):
        office = assignment.office
        if office is not None and assignment.role == Role.OFFICE_MANAGER.value:
            offices.setdefault(office.code, office)
    wanted = request.GET.get("office", "")
    if wanted:
        if wanted not in offices:
            raise PermissionDenied
        return offices[wanted], list(offices.values())
    if not offices:
        raise PermissionDenied
    return offices[min(offices)], list(offices.values())


# --- charts --------------------------------------------------------------------------------------


def _short_name(name: str) -> str:
    """An office's name without the words every office's name starts with (the code and place stay)."""
    short = name.removeprefix(OFFICE_NAME_PREFIX).strip()
    return short or name


def _top_chart(
    rows: list[OfficePerformance],
    *,
    key: str,
    title: str,
    value: Callable[[OfficePerformance], float | None],
    text: Callable[[OfficePerformance], str],
    max_value: float | None = None,
) -> BarChart:
    """The offices with the largest positive values (up to CHART_TOP), largest first."""
    valued = [(row, v) for row in rows if (v := value(row)) is not None and v > 0]
    valued.sort(key=lambda pair: (-pair[1], pair[0].office_code))
    items = [
        ChartItem(
            label=row.office_name, value=v, value_text=text(row), short_label=_short_name(row.office_name)
        )
        for row, v in valued[:CHART_TOP]
    ]
    return bar_chart(key=key, title=title, items=items, rtl=get_language_bidi(), max_value=max_value)


def _city_charts(rows: list[OfficePerformance]) -> list[BarChart]:
    return [
        _top_chart(
            rows,
            key="filed",
            title=_("Cases filed"),
            value=lambda r: r.filed,
            text=lambda r: fa_digits(r.filed),
        ),
        _top_chart(
            rows,
            key="sla",
            title=_("Cases closed on time"),
            value=lambda r: r.sla_percent,
            text=lambda r: _percent(r.sla_percent),
            max_value=100,
        ),
        _top_chart(
            rows,
            key="rating",
            title=_("Average citizen rating (1 to 5)"),
            value=lambda r: r.rating,
            text=lambda r: _decimal(r.rating or 0, 2),
            max_value=5,
        ),
        _top_chart(
            rows,
            key="revenue",
            title=_("Tariff earned"),
            value=lambda r: r.revenue,
            text=lambda r: _money(r.revenue),
        ),
    ]


def _history_charts(rows: list[OfficePerformance]) -> list[BarChart]:
    oldest_first = list(reversed(rows))

    def items(value: Callable[[OfficePerformance], int], text: Callable[[int], str]) -> list[ChartItem]:
        return [
            ChartItem(
                label=fa_digits(month_title(row.year, row.month)),
                value=value(row),
                value_text=text(value(row)),
            )
            for row in oldest_first
        ]

    rtl = get_language_bidi()
    return [
        bar_chart(
            key="filed",
            title=_("Cases filed"),
            items=items(lambda r: r.filed, fa_digits),
            rtl=rtl,
            compact=True,
        ),
        bar_chart(
            key="revenue",
            title=_("Tariff earned"),
            items=items(lambda r: r.revenue, _money),
            rtl=rtl,
            compact=True,
        ),
    ]


# --- the pages -----------------------------------------------------------------------------------

SORT_LABELS = {
    "filed": gettext_lazy("Cases filed"),
    "closed": gettext_lazy("Cases closed"),
    "sla": gettext_lazy("Closed on time"),
    "overdue": gettext_lazy("Open and overdue now"),
    "rating": gettext_lazy("Average rating"),
    "complaints": gettext_lazy("Complaints"),
    "revenue": gettext_lazy("Tariff earned"),
    "score": gettext_lazy("Score"),
}


def _query(city: City, year: int, month: int, **extra: str) -> str:
    return urlencode({"city": city.code, "year": year, "month": month, **extra})


@staff_required
@require_GET
def performance(request: HttpRequest) -> HttpResponse:
    """The city's offices in a month: ranking table sortable by each figure, charts, the score explained."""
    city = _supervised_city(request)
    form, year, month, invalid = _month(request)
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort not in SORT_KEYS:
        sort = DEFAULT_SORT
    rows = city_performance(city=city, year=year, month=month)
    page = reverse("web:performance")
    columns = [
        {
            "key": key,
            "label": label,
            "url": f"{page}?{_query(city, year, month, sort=key)}",
            "current": key == sort,
            "order": "descending" if SORT_KEYS[key][1] else "ascending",
        }
        for key, label in SORT_LABELS.items()
    ]
    return render(
        request,
        "web/performance.html",
        {
            "nav": "performance",
            "city": city,
            "form": form,
            "sort": sort,
            "sort_label": SORT_LABELS[sort],
            "columns": columns,
            "rows": _views(performance_sort(rows, by=sort)),
            "charts": _city_charts(rows),
            "month_title": month_title(year, month),
            "xlsx_url": f"{reverse('web:performance_xlsx')}?{_query(city, year, month, sort=sort)}",
            "weights": {
                "sla": WEIGHT_SLA,
                "rating": WEIGHT_RATING,
                "complaints": WEIGHT_COMPLAINTS,
                "complaints_zero": COMPLAINTS_PER_100_AT_ZERO,
            },
            "unit": _unit(),
        },
        status=400 if invalid else 200,
    )


@staff_required
@require_GET
def performance_export(request: HttpRequest) -> HttpResponse:
    """The month's figures as an Excel file, in the page's order (``sort``)."""
    city = _supervised_city(request)
    _form, year, month, invalid = _month(request)
    if invalid:
        return HttpResponse(status=400)
    sort = request.GET.get("sort", DEFAULT_SORT)
    rows = performance_sort(
        city_performance(city=city, year=year, month=month), by=sort if sort in SORT_KEYS else DEFAULT_SORT
    )
    data = performance_xlsx(rows, city=city, year=year, month=month, generated_at=timezone.now())
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="performance-{city.code}-{year}-{month:02d}.xlsx"'
    )
    return response


@staff_required
@require_GET
def office_performance(request: HttpRequest) -> HttpResponse:
    """The manager's office over the twelve months ending with the chosen one (this month unless
    ``?year=&month=``), newest first, with two small charts."""
    office, offices = _managed_office(request)
    form, year, month, invalid = _month(request)
    rows = office_history(office=office, year=year, month=month)
    return render(
        request,
        "web/performance_office.html",
        {
            "nav": "office_performance",
            "office": office,
            "offices": offices if len(offices) > 1 else [],
            "form": form,
            "year": year,
            "month": month,
            "rows": _views(rows),
            "overdue_open": rows[0].overdue_open if rows else 0,
            "charts": _history_charts(rows),
            "unit": _unit(),
        },
        status=400 if invalid else 200,
    )
