"""The queue's pages: kiosk and printable ticket, the operator's counter, the waiting-room display
(and its JSON feed), the day's figures. Thin: find the office, check who asks, call a service or a
selector, render.

Kiosk and display are public but per office and show ticket numbers only; the counter page is for
the office's operators and managers, the figures for its managers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.core.errors import DomainError, NotFound
from daftar.core.jalali import parse_jalali_date
from daftar.offices.models import Office
from daftar.offices.selectors import offices_staff_of

from . import selectors, services
from .models import Ticket

staff_required = login_required(login_url="web:staff_signin")
TICKET_SALT = "queueing.ticket"
TICKET_PAGE_MAX_AGE = 24 * 3600
SESSION_COUNTER = "queue_counter_{}"
SESSION_GROUPS = "queue_groups_{}"
WAITING_LIST_SIZE = 50
# A kiosk serves a whole waiting room, so the limit is per connection and generous; it stops a
# script from emptying the numbering, not a busy morning.
DEFAULT_TICKET_RATE = "30/m"


def _office(office_code: str) -> Office:
    try:
        return selectors.office_for_queue(code=office_code)
    except NotFound:
        raise Http404 from None


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _staff_office(request: HttpRequest, office_code: str, *, managers_only: bool = False) -> Office:
    office = _office(office_code)
    roles = selectors.queue_roles_of(user=_user(request), office=office)
    if not roles or (managers_only and Role.OFFICE_MANAGER.value not in roles):
        raise PermissionDenied
    return office


def ticket_token(ticket: Ticket) -> str:
    """The unguessable part of a ticket page's address (what the kiosk prints links to)."""
    return signing.dumps([ticket.office_id, ticket.pk], salt=TICKET_SALT)


# --- the staff's list of queues ---------------------------------------------------------------------


@staff_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The queues of the offices where the user works the counter."""
    rows: dict[int, dict[str, Any]] = {}
    for assignment in offices_staff_of(user=_user(request)):
        office = assignment.office
        if office is None or assignment.role not in selectors.QUEUE_ROLES:
            continue
        row = rows.setdefault(office.pk, {"office": office, "manager": False})
        row["manager"] = row["manager"] or assignment.role == Role.OFFICE_MANAGER.value
    if not rows:
        raise PermissionDenied
    return render(request, "queueing/index.html", {"nav": "queue", "rows": list(rows.values())})


# --- kiosk --------------------------------------------------------------------------------------------


def _issue_limited(request: HttpRequest) -> bool:
    rate = getattr(settings, "DAFTAR_QUEUE_TICKET_RATE_PER_IP", DEFAULT_TICKET_RATE)
    return bool(
        is_ratelimited(request, group="queue-ticket", key="ip", rate=rate, method="POST", increment=True)
    )


@require_http_methods(["GET", "HEAD", "POST"])
def kiosk(request: HttpRequest, office_code: str) -> HttpResponse:
    """Big buttons, one per queue group: «دریافت نوبت» gives a walk-in ticket and shows it to print."""
    office = _office(office_code)
    status = 200
    if request.method == "POST":
        if _issue_limited(request):
            raise Ratelimited()
        try:
            ticket = services.ticket_issue(
                office=office, group=request.POST.get("group", "")[:32], kind="walk_in"
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            status = exc.status
        else:
            return redirect("queueing:ticket", office_code=office.code, token=ticket_token(ticket))
    display = selectors.display_for(office=office, recent=0)
    return render(
        request,
        "queueing/kiosk.html",
        {"office": office, "groups": display.groups, "serving": office.can_serve},
        status=status,
    )


@require_safe
def ticket(request: HttpRequest, office_code: str, token: str) -> HttpResponse:
    """The printable ticket: number, group, people ahead and an estimated wait."""
    office = _office(office_code)
    try:
        office_pk, ticket_pk = signing.loads(token, salt=TICKET_SALT, max_age=TICKET_PAGE_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        raise Http404 from None
    if office_pk != office.pk:
        raise Http404
    found = Ticket.objects.select_related("office__city").filter(pk=ticket_pk, office=office).first()
    if found is None:
        raise Http404
    return render(
        request,
        "queueing/ticket.html",
        {
            "office": office,
            "ticket": found,
            "group": selectors.group_by_code(found.group),
            "position": selectors.ticket_position(ticket=found),
        },
    )


# --- the operator's counter -------------------------------------------------------------------------


def _chosen_counter(request: HttpRequest, office: Office) -> int | None:
    value = request.session.get(SESSION_COUNTER.format(office.pk))
    return value if isinstance(value, int) and 1 <= value <= max(1, office.counters) else None


def _counter_post(request: HttpRequest, office: Office) -> None:
    action = request.POST.get("action", "")
    user = _user(request)
    if action == "counter":
        number = request.POST.get("counter", "")
        if number.isdigit() and 1 <= int(number) <= max(1, office.counters):
            request.session[SESSION_COUNTER.format(office.pk)] = int(number)
        else:
            messages.error(request, _("Choose one of this office's counters."))
        return
    counter = _chosen_counter(request, office)
    if counter is None:
        messages.error(request, _("Choose your counter first."))
        return
    if action == "call":
        known = {g.code for g in selectors.queue_groups()}
        chosen = [code for code in request.POST.getlist("group") if code in known]
        request.session[SESSION_GROUPS.format(office.pk)] = chosen
        called = services.ticket_call_next(office=office, counter=counter, actor=user, groups=chosen or None)
        if called is None:
            messages.info(request, _("Nobody is waiting."))
        return
    moves = {
        "recall": services.ticket_recall,
        "start": services.ticket_start,
        "finish": services.ticket_finish,
        "no_show": services.ticket_no_show,
    }
    move = moves.get(action)
    pk = request.POST.get("ticket", "")
    found = Ticket.objects.filter(pk=int(pk), office=office).first() if pk.isdigit() else None
    if move is None or found is None:
        raise Http404
    move(ticket=found, actor=user)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def counter(request: HttpRequest, office_code: str) -> HttpResponse:
    """Choose a counter, call the next ticket to it, start, finish or mark a no-show."""
    office = _staff_office(request, office_code)
    if request.method == "POST":
        try:
            _counter_post(request, office)
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect("queueing:counter", office_code=office.code)
    number = _chosen_counter(request, office)
    now = timezone.now()
    day = selectors.office_local_day(office=office, at=now)
    chosen_groups = request.session.get(SESSION_GROUPS.format(office.pk)) or []
    groups = selectors.queue_groups()
    names = {g.code: g.name for g in groups}
    current = selectors.counter_current(office=office, counter=number, day=day) if number else None
    waiting = selectors.tickets_in_call_order(office=office, day=day, now=now, limit=WAITING_LIST_SIZE)
    return render(
        request,
        "queueing/counter.html",
        {
            "nav": "queue",
            "office": office,
            "counter": number,
            "counters": range(1, max(1, office.counters) + 1),
            "current": current,
            "current_group": names.get(current.group, current.group) if current else "",
            "waiting": [(t, names.get(t.group, t.group)) for t in waiting],
            "groups": [(g, g.code in chosen_groups) for g in groups],
        },
    )


# --- the waiting-room display -----------------------------------------------------------------------


@require_safe
def display(request: HttpRequest, office_code: str) -> HttpResponse:
    """Big type on a dark screen; static/queueing/display.js refreshes it from display.json."""
    office = _office(office_code)
    return render(
        request, "queueing/display.html", {"office": office, "display": selectors.display_for(office=office)}
    )


@never_cache
@require_safe
def display_json(request: HttpRequest, office_code: str) -> JsonResponse:
    """Ticket numbers, counters and per group the people waiting and the estimated wait; no one's data."""
    office = _office(office_code)
    return JsonResponse(
        selectors.display_for(office=office).as_json(), json_dumps_params={"ensure_ascii": False}
    )


# --- the day's figures ------------------------------------------------------------------------------


def _clock(value: timedelta | None) -> str:
    """12:05 (minutes:seconds) or 1:02:05; empty when there is nothing to show."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _durations(figures: selectors.Durations) -> dict[str, Any]:
    return {"count": figures.count, "average": _clock(figures.average), "median": _clock(figures.median)}


@staff_required
@require_safe
def stats(request: HttpRequest, office_code: str) -> HttpResponse:
    """One day's queue at the office: tickets by kind, waits, service times, no-shows (managers)."""
    office = _staff_office(request, office_code, managers_only=True)
    day = selectors.office_local_day(office=office)
    typed = request.GET.get("day", "").strip()[:20]
    status = 200
    if typed:
        try:
            day = parse_jalali_date(typed)
        except DomainError as exc:
            messages.error(request, str(exc))
            status = 400
    figures = selectors.office_day_stats(office=office, day=day)
    return render(
        request,
        "queueing/stats.html",
        {
            "nav": "queue",
            "office": office,
            "day": day,
            "typed": typed,
            "stats": figures,
            "waiting": _durations(figures.waiting),
            "service": _durations(figures.service),
            "groups": [(g, _durations(g.waiting)) for g in figures.groups],
        },
        status=status,
    )
