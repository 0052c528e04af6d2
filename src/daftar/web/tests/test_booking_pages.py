"""The appointment pages: the Jalali calendar shows only bookable days, the free times, booking,
the slot-full and one-a-day refusals, cancelling and moving (only the person's own), booking for the
desk's applicant, and checking a booking in at the desk so that the case filed next is linked to it."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from daftar.accounts.models import Person, User
from daftar.appointments.models import Booking, BookingStatus, OfficeServiceDesk
from daftar.appointments.services import booking_create
from daftar.cases.models import Case
from daftar.core.jalali import MONTH_NAMES_FA, TEHRAN, format_jalali_date, local_today, to_jalali
from daftar.core.text import to_persian_digits
from daftar.offices.models import Holiday, Office
from daftar.offices.services import closure_declare

from .test_case_pages import INTAKE, deed, signed_in

pytestmark = pytest.mark.django_db
SATURDAY, SUNDAY, MONDAY, FRIDAY = 5, 6, 0, 4


def upcoming(weekday: int, *, after_days: int = 3) -> date:
    """The first date with this weekday at least ``after_days`` from today (well inside the horizon)."""
    day = local_today() + timedelta(days=after_days)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TEHRAN)


def month_of(day: date) -> str:
    jday = to_jalali(day)
    return f"{jday.year}-{jday.month:02d}"


def new_url(service: Any, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"office": "1102", "service": service.code, **params}.items())
    return f"{reverse('web:booking_new')}?{query}"


def confirm_fields(html: str) -> dict[str, str]:
    """The hidden fields of step 4's form."""
    form = html[html.index("data-confirm") :]
    return dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))


def other_citizen() -> User:
    person = Person.objects.create(
        national_code="0013542419", first_name="رضا", last_name="نادری", mobile="09129876543"
    )
    return User.objects.create_user(username=person.mobile, mobile=person.mobile, person=person)


@pytest.fixture
def citizen(citizen_user: User, office: Office, service_version: Any) -> Client:
    return signed_in(citizen_user)


def book_through_pages(client: Client, service: Any, day: date, clock: str) -> Any:
    html = client.get(new_url(service, day=day.isoformat(), time=clock)).content.decode()
    return client.post(reverse("web:booking_new"), confirm_fields(html))


# --- the calendar and the times -------------------------------------------------------------------


def test_the_calendar_links_only_bookable_days_a_holiday_and_a_closure_are_disabled(
    citizen: Client, office: Office, service_version: Any
) -> None:
    holiday, closure, open_day = upcoming(SATURDAY), upcoming(SUNDAY), upcoming(MONDAY)
    Holiday.objects.create(date=holiday, name="تعطیل رسمی آزمون")
    closure_declare(city=office.city, date=closure, name="تعطیلی آلودگی هوا")
    for day, bookable in ((holiday, False), (closure, False), (open_day, True), (upcoming(FRIDAY), False)):
        html = citizen.get(new_url(service_version, month=month_of(day))).content.decode()
        link = re.search(rf'<a href="[^"]*day={day.isoformat()}"[^>]*data-day="{day.isoformat()}"', html)
        disabled = f'aria-disabled="true" data-day="{day.isoformat()}"' in html
        assert (link is not None, disabled) == (bookable, not bookable), day
    jday = to_jalali(open_day)
    html = citizen.get(new_url(service_version, month=month_of(open_day))).content.decode()
    assert f"{MONTH_NAMES_FA[jday.month - 1]} {to_persian_digits(str(jday.year))}" in html
    assert re.search(r"<th scope=\"col\">ش</th>\s*<th scope=\"col\">ی</th>", html)  # Saturday first
    past = citizen.get(new_url(service_version, month=month_of(local_today() - timedelta(days=40))))
    assert 'aria-disabled="true" data-day=' in past.content.decode()
    assert not re.search(r'<a href="[^"]*" data-day=', past.content.decode())


def test_the_free_times_of_a_day_are_buttons_in_persian_digits(citizen: Client, service_version: Any) -> None:
    day = upcoming(SATURDAY)
    html = citizen.get(new_url(service_version, day=day.isoformat())).content.decode()
    assert 'name="time" value="08:00">۰۸:۰۰</button>' in html
    assert 'name="time" value="14:40">۱۴:۴۰</button>' in html  # 20-minute slots end by 15:00
    assert 'value="15:00"' not in html
    assert format_jalali_date(day, style="long") in html


# --- booking ----------------------------------------------------------------------------------------


def test_a_citizen_books_in_four_steps_and_gets_a_printable_confirmation_with_the_code(
    citizen: Client, citizen_user: User, office: Office, service_version: Any
) -> None:
    day = upcoming(SATURDAY)
    html = citizen.get(new_url(service_version, day=day.isoformat(), time="09:20")).content.decode()
    assert "تأیید نوبت" in html
    fields = confirm_fields(html)
    response = citizen.post(reverse("web:booking_new"), fields)
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:booking", args=[booking.code])
    assert booking.person == citizen_user.person
    assert booking.channel == "online"
    assert booking.starts_at == at(day, 9, 20)
    page = citizen.get(response["Location"]).content.decode()
    assert f'<bdi dir="ltr" class="code" data-booking-code>{booking.code}</bdi>' in page
    assert office.address in page
    assert format_jalali_date(day, style="long") in page
    assert "۰۹:۲۰" in page
    # The same confirmation sent again (a double click) shows the same booking and books nothing more.
    again = citizen.post(reverse("web:booking_new"), fields)
    assert again["Location"] == response["Location"]
    assert Booking.objects.count() == 1


def test_a_slot_taken_meanwhile_answers_409_in_persian_and_writes_nothing(
    citizen: Client, office: Office, service_version: Any
) -> None:
    OfficeServiceDesk.objects.create(
        office=office, category=service_version.service_type.category, counters=1
    )
    day = upcoming(SATURDAY)
    html = citizen.get(new_url(service_version, day=day.isoformat(), time="10:00")).content.decode()
    rival = other_citizen()
    booking_create(
        office=office,
        service_type=service_version.service_type,
        person=rival.person,
        starts_at=at(day, 10),
        actor=rival,
        channel="online",
    )
    response = citizen.post(reverse("web:booking_new"), confirm_fields(html))
    assert response.status_code == 409
    assert "این نوبت پر شده است" in response.content.decode()
    assert Booking.objects.count() == 1
    times = citizen.get(new_url(service_version, day=day.isoformat())).content.decode()
    assert re.search(r'disabled aria-disabled="true">۱۰:۰۰', times)


def test_a_second_booking_for_the_same_service_and_day_is_refused_with_a_link_to_the_first(
    citizen: Client, service_version: Any
) -> None:
    day = upcoming(SATURDAY)
    first = book_through_pages(citizen, service_version, day, "09:00")
    response = book_through_pages(citizen, service_version, day, "11:00")
    assert response.status_code == 409
    assert "قبلاً نوبت گرفته‌اید" in response.content.decode()
    assert first["Location"] in response.content.decode()
    assert Booking.objects.count() == 1


def test_after_repeated_no_shows_online_booking_is_refused_but_the_desk_may_book(
    citizen: Client, citizen_user: User, office: Office, service_version: Any
) -> None:
    for days_ago in (3, 10, 20):
        start = timezone.now() - timedelta(days=days_ago)
        Booking.objects.create(
            code=f"NOSHOW{days_ago:02d}",
            office=office,
            service_type=service_version.service_type,
            category=service_version.service_type.category,
            person=citizen_user.person,
            starts_at=start,
            ends_at=start + timedelta(minutes=20),
            day=start.astimezone(TEHRAN).date(),
            status=BookingStatus.NO_SHOW,
            channel="online",
            created_by=citizen_user,
        )
    response = book_through_pages(citizen, service_version, upcoming(SATURDAY), "09:00")
    assert response.status_code == 409
    assert "دوباره می‌توانید برخط نوبت بگیرید" in response.content.decode()
    assert not Booking.objects.filter(status=BookingStatus.BOOKED).exists()


def test_signing_in_is_asked_first_and_brings_the_citizen_back(db: None) -> None:
    response = Client().get(reverse("web:booking_new"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:signin')}?next={reverse('web:booking_new')}"


# --- the citizen's bookings, cancelling and moving --------------------------------------------------


def test_the_list_shows_coming_bookings_first_with_their_buttons_or_why_not(
    citizen: Client, citizen_user: User, office: Office, service_version: Any
) -> None:
    later = book_through_pages(citizen, service_version, upcoming(MONDAY), "09:00")
    soon_start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=1)
    soon = Booking.objects.create(
        code="SOONAAAA",
        office=office,
        service_type=service_version.service_type,
        category=service_version.service_type.category,
        person=citizen_user.person,
        starts_at=soon_start,
        ends_at=soon_start + timedelta(minutes=20),
        day=soon_start.astimezone(TEHRAN).date(),
        channel="online",
        created_by=citizen_user,
    )
    html = citizen.get(reverse("web:bookings")).content.decode()
    later_code = later["Location"].rstrip("/").rsplit("/", 1)[1]
    assert html.index(f'data-booking="{soon.code}"') < html.index(f'data-booking="{later_code}"')
    assert "فقط تا ۲ ساعت پیش" in html  # why the soon one can no longer be changed
    assert reverse("web:booking_move", args=[later_code]) in html
    assert reverse("web:booking_move", args=[soon.code]) not in html
    response = citizen.post(reverse("web:booking_cancel", args=[soon.code]))
    assert response.status_code == 409
    soon.refresh_from_db()
    assert soon.status == BookingStatus.BOOKED


def test_another_citizen_gets_404_for_someone_elses_booking_and_changes_nothing(
    citizen: Client, service_version: Any
) -> None:
    code = book_through_pages(citizen, service_version, upcoming(SATURDAY), "09:00")["Location"].split("/")[
        -2
    ]
    stranger = signed_in(other_citizen())
    assert stranger.get(reverse("web:booking", args=[code])).status_code == 404
    assert stranger.post(reverse("web:booking_cancel", args=[code])).status_code == 404
    assert stranger.get(reverse("web:booking_move", args=[code])).status_code == 404
    assert Booking.objects.get().status == BookingStatus.BOOKED
    assert stranger.get(reverse("web:booking", args=["NOSUCHCD"])).status_code == 404


def test_the_citizen_cancels_with_a_reason_and_moves_another_booking(
    citizen: Client, service_version: Any
) -> None:
    first = book_through_pages(citizen, service_version, upcoming(SATURDAY), "09:00")["Location"]
    code = first.split("/")[-2]
    response = citizen.post(reverse("web:booking_cancel", args=[code]), {"reason": "کار پیش آمد"})
    assert response.status_code == 302
    booking = Booking.objects.get(code=code)
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancelled_reason == "کار پیش آمد"
    assert "لغو" in citizen.get(first).content.decode()

    second = book_through_pages(citizen, service_version, upcoming(MONDAY), "09:00")["Location"].split("/")[
        -2
    ]
    move = reverse("web:booking_move", args=[second])
    day = upcoming(MONDAY)
    html = citizen.get(f"{move}?day={day.isoformat()}&time=11:40").content.decode()
    assert 'name="office"' in html  # the confirm form's hidden fields; only "starts" counts for a move
    response = citizen.post(move, {"starts": confirm_fields(html)["starts"]})
    assert response.status_code == 302
    assert Booking.objects.get(code=second).starts_at == at(day, 11, 40)


# --- the desk ---------------------------------------------------------------------------------------


@pytest.fixture
def desk(operator_user: User, applicant_person: Person, service_version: Any) -> Client:
    """An operator at the counter with the applicant chosen."""
    client = signed_in(operator_user)
    response = client.post(reverse("web:desk"), {"step": "find", "national_code": "0012345679"})
    assert response.status_code == 302
    return client


def test_the_desk_books_for_its_applicant_and_lists_the_days_bookings(
    desk: Client, operator_user: User, applicant_person: Person, service_version: Any
) -> None:
    day = upcoming(SATURDAY)
    base = reverse("web:desk_booking_new")
    assert "گواهی عدم خلاف" in desk.get(base).content.decode()
    html = desk.get(
        f"{base}?service={service_version.code}&day={day.isoformat()}&time=08:40"
    ).content.decode()
    assert applicant_person.display_name in html
    response = desk.post(base, confirm_fields(html))
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert (booking.person, booking.channel, booking.created_by) == (
        applicant_person,
        "office",
        operator_user,
    )
    listing = desk.get(
        reverse("web:desk_bookings"), {"day": format_jalali_date(day, persian_digits=False)}
    ).content.decode()
    assert booking.code in listing
    assert applicant_person.display_name in listing


def test_a_citizen_has_no_desk_bookings_page(citizen: Client) -> None:
    assert citizen.get(reverse("web:desk_bookings")).status_code == 403
    assert citizen.get(reverse("web:desk_booking_new")).status_code == 403


def test_checking_in_at_the_desk_opens_the_service_form_and_the_filed_case_is_linked(
    operator_user: User, office: Office, citizen_user: User, service_version: Any
) -> None:
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    booking = Booking.objects.create(
        code="CHECKN34",
        office=office,
        service_type=service_version.service_type,
        category=service_version.service_type.category,
        person=citizen_user.person,
        starts_at=start,
        ends_at=start + timedelta(minutes=20),
        day=start.astimezone(TEHRAN).date(),
        channel="online",
        created_by=citizen_user,
    )
    desk = signed_in(operator_user)
    unknown = desk.post(reverse("web:desk"), {"step": "booking", "code": "AAAA-AAAA"})
    assert unknown.status_code == 404
    assert 'id="id_code_errors"' in unknown.content.decode()
    assert "نوبتی با این کد در این دفتر پیدا نشد" in unknown.content.decode()
    response = desk.post(reverse("web:desk"), {"step": "booking", "code": "checkn34"})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:desk_file", args=[service_version.code])
    form = desk.get(response["Location"]).content.decode()
    assert citizen_user.person.display_name in form  # the booking's person is the applicant
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', form)
    assert key is not None
    filed = desk.post(response["Location"], {**INTAKE, "idempotency_key": key.group(1), "doc_deed": deed()})
    assert filed.status_code == 302
    booking.refresh_from_db()
    assert booking.case == Case.objects.get()
    assert booking.status == BookingStatus.SERVED
    again = desk.post(reverse("web:desk"), {"step": "booking", "code": "CHECKN34"})
    assert again.status_code == 409


@override_settings(DAFTAR_BOOKING_LOOKUP_RATE="3/m")
def test_looking_bookings_up_by_code_is_rate_limited(citizen: Client, desk: Client) -> None:
    for _attempt in range(3):
        assert citizen.get(reverse("web:booking", args=["GUESSAAA"])).status_code == 404
    assert citizen.get(reverse("web:booking", args=["GUESSAAB"])).status_code == 429
    for _attempt in range(3):
        assert desk.post(reverse("web:desk"), {"step": "booking", "code": "GUESSAAA"}).status_code == 404
    assert desk.post(reverse("web:desk"), {"step": "booking", "code": "GUESSAAB"}).status_code == 429
