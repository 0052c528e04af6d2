"""Open311 writes: clients and keys, filing a request as an ordinary case, deferred filing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

from daftar.accounts.models import PersonKind
from daftar.cases.models import Case, EventKind
from daftar.cases.selectors import case_roles_of, inbox_for
from daftar.core.errors import Conflict, InvalidValue
from daftar.core.validators import validate_legal_national_id
from daftar.offices.models import City
from daftar.open311.models import Open311Client, Open311Key, Open311Request, RequestStatus
from daftar.open311.selectors import open311_reporter_for
from daftar.open311.services import (
    Reporter,
    Submission,
    open311_client_create,
    open311_key_authenticate,
    open311_key_create,
    open311_key_revoke,
    open311_request_file,
    open311_request_submit,
    open311_requests_file_pending,
    reserved_national_id,
)

pytestmark = pytest.mark.django_db

LIGHT = Submission(
    attributes={"problem": "flickering"},
    description="چراغ روبروی مدرسه چشمک می‌زند",
    latitude=Decimal("35.761200"),
    longitude=Decimal("51.432100"),
    reporter=Reporter(first_name="نرگس", last_name="امینی", email="Narges@example.com", phone="۰۹۱۲۱۱۱۲۲۳۳"),
)


@pytest.fixture
def app(db: None) -> Open311Client:
    open311_client_create(name="اپلیکیشن شهر من")
    return Open311Client.objects.get()


def test_a_client_stands_as_a_legal_person_whose_id_can_never_be_a_real_one(app: Open311Client) -> None:
    assert app.person.kind == PersonKind.LEGAL
    assert app.person.national_code == reserved_national_id(1)
    assert app.person.national_code.startswith("00311")
    with pytest.raises(InvalidValue) as caught:
        validate_legal_national_id(app.person.national_code)
    assert caught.value.code == "legal_national_id.checksum"
    assert app.user.person == app.person
    assert not app.user.has_usable_password()
    assert not app.user.is_staff


def test_each_client_gets_its_own_reserved_id_and_names_are_unique(app: Open311Client) -> None:
    open311_client_create(name="سامانه ۱۳۷")
    second = Open311Client.objects.get(name="سامانه ۱۳۷")
    assert second.person.national_code == reserved_national_id(2)
    with pytest.raises(Conflict):
        open311_client_create(name="اپلیکیشن شهر من")
    with pytest.raises(InvalidValue):
        open311_client_create(name="   ")


def test_a_key_is_stored_hashed_and_works_until_revoked(db: None) -> None:
    issued = open311_client_create(name="اپ")
    key = Open311Key.objects.get()
    assert issued.secret.startswith(f"o311_{key.prefix}_")
    assert issued.secret not in key.key_hash
    assert open311_key_authenticate(secret=issued.secret) == key.client
    assert open311_key_authenticate(secret=issued.secret + "x") is None
    assert open311_key_authenticate(secret="dft_abc_def") is None
    open311_key_revoke(key=key)
    assert open311_key_authenticate(secret=issued.secret) is None


def test_a_second_key_rotates_without_stopping_the_first(app: Open311Client) -> None:
    first = Open311Key.objects.get()
    second = open311_key_create(client=app)
    assert open311_key_authenticate(secret=second.secret) == app
    open311_key_revoke(key=first)
    assert open311_key_authenticate(secret=second.secret) == app


def test_a_request_becomes_an_online_case_filed_by_the_client_with_the_reporter_kept_apart(
    app: Open311Client, reports: dict[str, Any], city: City, reviewer_user: Any
) -> None:
    record = open311_request_submit(
        client=app, city=city, service=reports["report.street_light"], submission=LIGHT
    )
    case = Case.objects.get()
    assert record.case == case
    assert record.status == RequestStatus.FILED
    assert case.channel == "online"
    assert case.applicant == app.person
    assert case.filed_by == app.user
    assert case.data == {"problem": "flickering", "description": "چراغ روبروی مدرسه چشمک می‌زند"}
    assert (case.latitude, case.longitude) == (Decimal("35.761200"), Decimal("51.432100"))
    assert case.events.get().kind == EventKind.FILED
    # The reporter is on the Open311 record, not on the case or its applicant.
    assert (record.first_name, record.email, record.phone) == ("نرگس", "narges@example.com", "09121112233")
    assert "نرگس" not in str(case.data)
    assert app.person.display_name == "اپلیکیشن شهر من (Open311)"
    # An ordinary case: it waits in the reviewer's inbox like any other.
    assert [row.case.pk for row in inbox_for(user=reviewer_user).rows] == [case.pk]


def test_only_municipal_staff_with_a_role_on_the_case_see_the_reporter(
    app: Open311Client, reports: dict[str, Any], city: City, reviewer_user: Any, citizen_user: Any
) -> None:
    record = open311_request_submit(
        client=app, city=city, service=reports["report.street_light"], submission=LIGHT
    )
    assert record.case is not None
    assert open311_reporter_for(case=record.case, user=reviewer_user) == record
    assert open311_reporter_for(case=record.case, user=citizen_user) is None
    assert case_roles_of(case=record.case, user=app.user) == {"applicant"}
    assert open311_reporter_for(case=record.case, user=app.user) is None


def test_errors_name_the_open311_parameter_and_nothing_is_written(
    app: Open311Client, reports: dict[str, Any], city: City
) -> None:
    bad = Submission(
        attributes={"problem": "melted", "colour": "red", "description": "x"},
        address_string="تهران، خیابان ولیعصر",
    )
    with pytest.raises(InvalidValue) as caught:
        open311_request_submit(client=app, city=city, service=reports["report.street_light"], submission=bad)
    # Every problem at once: unknown attributes, a value off the list, the missing description.
    assert set(caught.value.fields) == {
        "attribute[colour]",
        "attribute[description]",
        "attribute[problem]",
        "description",
    }
    bad = Submission(attributes={"problem": "melted"}, description="کوتاه", address_string="تهران")
    with pytest.raises(InvalidValue) as caught:
        open311_request_submit(client=app, city=city, service=reports["report.street_light"], submission=bad)
    assert set(caught.value.fields) == {"attribute[problem]"}
    no_place = Submission(attributes={"problem": "flickering"}, description="چراغ خاموش است")
    with pytest.raises(InvalidValue) as caught:
        open311_request_submit(
            client=app, city=city, service=reports["report.street_light"], submission=no_place
        )
    assert caught.value.code == "open311.location_required"
    assert not Case.objects.exists()
    assert not Open311Request.objects.exists()


def test_address_id_alone_is_a_location_and_becomes_the_address_text(
    app: Open311Client, reports: dict[str, Any], city: City
) -> None:
    only_id = Submission(
        attributes={"problem": "flickering"}, description="چراغ خاموش است", address_id="545483"
    )
    record = open311_request_submit(
        client=app, city=city, service=reports["report.street_light"], submission=only_id
    )
    assert record.case is not None
    with translation.override("fa"):
        assert record.case.address == gettext("Address ID %(id)s") % {"id": "545483"}
    assert record.address_id == "545483"


def test_the_same_idempotency_key_gives_the_same_request(
    app: Open311Client, reports: dict[str, Any], city: City
) -> None:
    keyed = Submission(**{**LIGHT.__dict__, "idempotency_key": "retry-7"})
    first = open311_request_submit(
        client=app, city=city, service=reports["report.street_light"], submission=keyed
    )
    again = open311_request_submit(
        client=app, city=city, service=reports["report.street_light"], submission=keyed
    )
    assert first.pk == again.pk
    assert Case.objects.count() == 1
    with pytest.raises(Conflict):
        open311_request_submit(
            client=app, city=city, service=reports["report.waste_not_collected"], submission=keyed
        )


def test_a_deferred_service_is_filed_after_commit_and_only_once(
    app: Open311Client, reports: dict[str, Any], city: City, django_capture_on_commit_callbacks: Any
) -> None:
    dumping = Submission(
        attributes={"material": ["construction_debris"], "vehicle_seen": "true"},
        description="نخاله ساختمانی کنار جوی ریخته‌اند",
        address_string="تهران، بزرگراه همت، خروجی کن",
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record = open311_request_submit(
            client=app, city=city, service=reports["report.illegal_dumping"], submission=dumping
        )
    assert record.token
    assert record.case is None
    assert record.status == RequestStatus.PENDING
    assert not Case.objects.exists()
    for callback in callbacks:  # the queued task (eager in tests)
        callback()
    record.refresh_from_db()
    assert record.status == RequestStatus.FILED
    assert record.case is not None
    assert record.case.data["vehicle_seen"] is True
    # Run again (a redelivered task, the sweep): nothing new.
    open311_request_file(request_id=record.pk)
    assert Case.objects.count() == 1


def test_a_deferred_request_the_engine_refuses_later_is_marked_failed(
    app: Open311Client, reports: dict[str, Any], city: City, django_capture_on_commit_callbacks: Any
) -> None:
    dumping = Submission(
        attributes={"material": ["furniture"]}, description="مبلمان کهنه رها شده", address_string="تهران"
    )
    with django_capture_on_commit_callbacks(execute=False):
        record = open311_request_submit(
            client=app, city=city, service=reports["report.illegal_dumping"], submission=dumping
        )
    service = reports["report.illegal_dumping"]
    type(service).objects.filter(pk=service.pk).update(status="draft")  # withdrawn meanwhile
    record = open311_request_file(request_id=record.pk)
    assert record.status == RequestStatus.FAILED
    assert record.error
    assert not Case.objects.exists()


def test_the_sweep_files_deferred_requests_whose_task_was_lost(
    app: Open311Client, reports: dict[str, Any], city: City, django_capture_on_commit_callbacks: Any
) -> None:
    dumping = Submission(
        attributes={"material": ["furniture"]}, description="مبلمان کهنه", address_string="تهران"
    )
    with django_capture_on_commit_callbacks(execute=False):  # the broker lost it
        record = open311_request_submit(
            client=app, city=city, service=reports["report.illegal_dumping"], submission=dumping
        )
    assert open311_requests_file_pending() == 0  # too fresh: its task may still come
    from datetime import timedelta

    assert open311_requests_file_pending(older_than=timedelta(seconds=-1)) == 1
    record.refresh_from_db()
    assert record.case is not None


def test_only_the_default_city_takes_requests(
    app: Open311Client, reports: dict[str, Any], city: City
) -> None:
    other = City.objects.create(code="isfahan", name_fa="اصفهان", name_en="Isfahan")
    with pytest.raises(InvalidValue) as caught:
        open311_request_submit(
            client=app, city=other, service=reports["report.street_light"], submission=LIGHT
        )
    assert caught.value.code == "open311.jurisdiction_not_filing"


def test_the_command_creates_lists_and_revokes_keys(db: None, capsys: Any) -> None:
    call_command("open311_key", "سامانه ۱۳۷")
    secret = capsys.readouterr().out.strip()
    client = open311_key_authenticate(secret=secret)
    assert client is not None
    assert client.name == "سامانه ۱۳۷"
    call_command("open311_key", "سامانه ۱۳۷")  # a second key for the same client
    second = capsys.readouterr().out.strip()
    assert open311_key_authenticate(secret=second) == client
    call_command("open311_key", "--list")
    listing = capsys.readouterr().out
    prefix = secret.split("_")[1]
    assert "سامانه ۱۳۷" in listing
    assert prefix in listing
    assert secret not in listing
    call_command("open311_key", "--revoke", prefix)
    assert open311_key_authenticate(secret=secret) is None
    assert open311_key_authenticate(secret=second) == client
