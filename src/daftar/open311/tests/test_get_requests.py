"""GET requests and GET requests/{id} in XML and JSON: fields, filters and their defaults, the
90-day window, the 1000 cap, paging, the extensions, and a request acting like any case."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from daftar.cases.models import Case
from daftar.cases.services import Location, case_act, case_file
from daftar.cases.tracking import tracking_code_new
from daftar.offices.models import City
from daftar.open311.models import Open311Client
from daftar.open311.selectors import MAX_RESULTS
from daftar.open311.services import Submission, open311_request_submit

from .conftest import BASE, error_descriptions, parse, requests_of

pytestmark = pytest.mark.django_db
FORMATS = ("json", "xml")
FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


@pytest.fixture
def app(api_key: str) -> Open311Client:
    return Open311Client.objects.get()


@pytest.fixture
def file_report(app: Open311Client, reports: dict[str, Any], city: City) -> Any:
    def file(code: str = "report.street_light", **extra: Any) -> Case:
        attributes = {
            "report.street_light": {"problem": "flickering"},
            "report.waste_not_collected": {"waste_type": "household", "days_uncollected": "3"},
            "report.open_excavation": {"hazards": ["no_fence"]},
        }[code]
        submission = Submission(
            attributes=attributes,
            description="گزارش آزمایشی شهروند",
            latitude=Decimal("35.761200"),
            longitude=Decimal("51.432100"),
            **extra,
        )
        record = open311_request_submit(client=app, city=city, service=reports[code], submission=submission)
        assert record.case is not None
        return record.case

    return file


def _age(case: Case, days: float) -> None:
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(days=days))


def _ids(client: Client, fmt: str = "json", **query: Any) -> list[str]:
    response = client.get(f"{BASE}/requests.{fmt}", query)
    assert response.status_code == 200, response.content
    return [str(item["service_request_id"]) for item in requests_of(response, fmt)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_lists_every_field_of_the_spec_in_order(
    client: Client, file_report: Any, zone: Any, fmt: str
) -> None:
    case = file_report(
        address_string="تهران، میدان ونک", address_id="AD-9", media_url="https://img.example/1.jpg"
    )
    response = client.get(f"{BASE}/requests.{fmt}")
    assert response.status_code == 200
    if fmt == "xml":
        body = parse(response)
        assert body.tag == "service_requests"
        assert [child.tag for child in body] == ["request"]
        assert [child.tag for child in body[0]] == FIELDS
        item = {child.tag: child.text for child in body[0]}
        assert item["lat"] == "35.7612"
        assert item["zipcode"] is None
    else:
        [item] = parse(response)
        assert list(item) == FIELDS
        assert item["lat"] == 35.7612
        assert item["long"] == 51.4321
        assert item["zipcode"] is None
    assert item["service_request_id"] == case.tracking_code
    assert item["status"] == "open"
    assert item["service_code"] == "report.street_light"
    assert item["service_name"] == "گزارش خرابی روشنایی معابر"
    assert item["description"] == "گزارش آزمایشی شهروند"
    assert item["address"] == "تهران، میدان ونک"
    assert item["address_id"] == "AD-9"
    assert item["media_url"] == "https://img.example/1.jpg"
    assert item["agency_responsible"]
    assert "تهران" in item["agency_responsible"]
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert item[name].endswith("+03:30"), name  # ISO 8601 with its offset
    assert item["expected_datetime"].startswith(case.due_date.isoformat())
    assert item["status_notes"]  # the state's Persian name while nobody has written anything


def test_requests_filed_any_way_are_listed_but_only_services_offered_and_only_this_city(
    client: Client, file_report: Any, reports: Any, citizen_user: Any, filed_case: Case
) -> None:
    through_api = file_report()
    online = case_file(
        service=reports["report.street_light"],
        applicant=citizen_user.person,
        office=None,
        channel="online",
        data={"problem": "pole_damaged", "description": "پایه چراغ کج شده"},
        actor=citizen_user,
        location=Location(latitude=None, longitude=None, address="تهران، خیابان شریعتی"),
    )
    codes = _ids(client)
    assert set(codes) == {through_api.tracking_code, online.tracking_code}
    assert filed_case.tracking_code not in codes  # a building certificate is no Open311 service
    isfahan = City.objects.create(code="isfahan", name_fa="اصفهان", name_en="Isfahan")
    assert _ids(client, jurisdiction_id="isfahan") == []
    assert isfahan.code == "isfahan"
    body = client.get(f"{BASE}/requests.json?extensions=true").content.decode()
    for private in (citizen_user.person.national_code, "سارا", "احمدی", citizen_user.person.mobile):
        assert private not in body


def test_newest_first_with_comma_lists_of_codes_and_statuses(
    client: Client, file_report: Any, reviewer_user: Any
) -> None:
    light = file_report()
    waste = file_report("report.waste_not_collected")
    dig = file_report("report.open_excavation")
    assert _ids(client) == [dig.tracking_code, waste.tracking_code, light.tracking_code]
    both = "report.street_light,report.open_excavation"
    assert _ids(client, service_code=both) == [dig.tracking_code, light.tracking_code]
    case = case_act(case=light, action="accept", actor=reviewer_user, expected_version=light.version)
    case_act(
        case=case, action="resolve", actor=reviewer_user, expected_version=case.version, reason="تعمیر شد"
    )
    assert _ids(client, status="closed") == [light.tracking_code]
    assert _ids(client, status="open") == [dig.tracking_code, waste.tracking_code]
    assert len(_ids(client, status="open,closed")) == 3
    assert len(_ids(client, fmt="xml", status="closed")) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_request_id_lists_override_every_other_filter(
    client: Client, file_report: Any, fmt: str
) -> None:
    light, waste, old = file_report(), file_report("report.waste_not_collected"), file_report()
    _age(old, 400)
    query = {
        "service_request_id": f"{light.tracking_code},{old.tracking_code.lower()}, NOPE",
        "service_code": "report.waste_not_collected",
        "status": "closed",
        "start_date": "2000-01-01T00:00:00Z",
        "end_date": "2000-02-01T00:00:00Z",
    }
    assert set(_ids(client, fmt, **query)) == {light.tracking_code, old.tracking_code}
    assert waste.tracking_code not in _ids(client, fmt, **query)


def test_the_default_window_is_the_last_90_days(client: Client, file_report: Any) -> None:
    recent, older = file_report(), file_report()
    _age(recent, 89)
    _age(older, 91)
    assert _ids(client) == [recent.tracking_code]
    start = (timezone.now() - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (timezone.now() - timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(client, start_date=start, end_date=end) == [recent.tracking_code, older.tracking_code]
    assert _ids(client, start_date=start) == [recent.tracking_code, older.tracking_code]  # 90 days on
    before = (timezone.now() - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(client, end_date=before) == [older.tracking_code]  # the 90 days up to it


def test_dates_take_an_offset_and_the_plus_sign_may_arrive_as_a_space(
    client: Client, file_report: Any
) -> None:
    case = file_report()
    start = (timezone.localtime() - timedelta(hours=1)).isoformat(timespec="seconds")  # +03:30
    assert _ids(client, start_date=start) == [case.tracking_code]
    unencoded = client.get(f"{BASE}/requests.json?start_date={start}")  # "+" read as a space
    assert unencoded.status_code == 200
    assert len(parse(unencoded)) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_filters_the_spec_does_not_allow_are_400(client: Client, reports: Any, fmt: str) -> None:
    for query in (
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"},  # over 90 days
        {"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"},  # reversed
        {"start_date": "2026-01-01T00:00:00"},  # no offset
        {"end_date": "2026-01-01"},  # a date alone
        {"start_date": "yesterday"},
        {"status": "pending"},
        {"page_size": "5000"},
        {"page": "0"},
    ):
        response = client.get(f"{BASE}/requests.{fmt}", query)
        assert response.status_code == 400, query
        assert error_descriptions(response, fmt)[0][0] == 400


def test_empty_parameters_count_as_absent(client: Client, file_report: Any) -> None:
    case = file_report()
    query = {"service_request_id": "", "service_code": "", "status": "", "start_date": "", "page_size": ""}
    assert _ids(client, **query) == [case.tracking_code]


def test_at_most_1000_requests_come_in_one_answer_and_page_reaches_the_rest(
    client: Client, file_report: Any, app: Open311Client, django_assert_max_num_queries: Any
) -> None:
    first = file_report()
    now = timezone.now()
    Case.objects.bulk_create(
        Case(
            tracking_code=tracking_code_new(),
            service_version=first.service_version,
            service_type=first.service_type,
            category=first.category,
            department=first.department,
            city=first.city,
            channel="online",
            applicant=app.person,
            filed_by=app.user,
            data={"problem": "flickering", "description": f"گزارش شماره {n}"},
            address="تهران",
            state="submitted",
            due_date=first.due_date,
            created_at=now - timedelta(minutes=n + 1),
            updated_at=now,
        )
        for n in range(MAX_RESULTS)
    )
    with django_assert_max_num_queries(8):
        response = client.get(f"{BASE}/requests.json")
    items = parse(response)
    assert len(items) == MAX_RESULTS
    assert items[0]["service_request_id"] == first.tracking_code  # the newest first
    second_page = parse(client.get(f"{BASE}/requests.json", {"page": 2}))
    assert len(second_page) == 1
    assert second_page[0]["description"] == f"گزارش شماره {MAX_RESULTS - 1}"


def test_page_and_page_size_walk_the_list(client: Client, file_report: Any) -> None:
    cases = [file_report() for _ in range(5)]
    newest_first = [case.tracking_code for case in reversed(cases)]
    assert _ids(client, page_size=2) == newest_first[:2]
    assert _ids(client, page_size=2, page=2) == newest_first[2:4]
    assert _ids(client, page_size=2, page=3) == newest_first[4:]
    assert _ids(client, page_size=2, page=4) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_is_a_one_element_list_and_an_unknown_one_is_404(
    client: Client, file_report: Any, filed_case: Case, fmt: str
) -> None:
    case = file_report()
    response = client.get(f"{BASE}/requests/{case.tracking_code}.{fmt}")
    assert response.status_code == 200
    [item] = requests_of(response, fmt)
    assert item["service_request_id"] == case.tracking_code
    for unknown in (tracking_code_new(), "12345", filed_case.tracking_code):
        response = client.get(f"{BASE}/requests/{unknown}.{fmt}")
        assert response.status_code == 404, unknown
        [(code, description)] = error_descriptions(response, fmt)
        assert code == 404
        assert "service_request_id" in description


def test_a_request_filed_through_open311_is_handled_like_any_case_and_closes_with_its_notes(
    client: Client, file_report: Any, reviewer_user: Any
) -> None:
    from daftar.cases.selectors import inbox_for

    case = file_report()
    assert case.pk in [row.case.pk for row in inbox_for(user=reviewer_user).rows]
    case = case_act(case=case, action="accept", actor=reviewer_user, expected_version=case.version)
    [open_item] = parse(client.get(f"{BASE}/requests/{case.tracking_code}.json"))
    assert open_item["status"] == "open"
    case = case_act(
        case=case,
        action="resolve",
        actor=reviewer_user,
        expected_version=case.version,
        reason="لامپ تعویض شد",
    )
    assert case.closed_at is not None
    for fmt in FORMATS:
        [item] = requests_of(client.get(f"{BASE}/requests/{case.tracking_code}.{fmt}"), fmt)
        assert item["status"] == "closed"
        assert item["status_notes"] == "لامپ تعویض شد"
        assert item["updated_datetime"] == timezone.localtime(case.closed_at).isoformat(timespec="seconds")


@pytest.mark.parametrize("fmt", FORMATS)
def test_extensions_add_the_district_department_state_and_the_status_history(
    client: Client, file_report: Any, reviewer_user: Any, zone: Any, fmt: str
) -> None:
    case = file_report("report.open_excavation")
    case = case_act(case=case, action="accept", actor=reviewer_user, expected_version=case.version)
    plain = client.get(f"{BASE}/requests/{case.tracking_code}.{fmt}")
    assert b"extended_attributes" not in plain.content
    assert b'"notes"' not in plain.content
    assert b"<notes>" not in plain.content
    response = client.get(f"{BASE}/requests.{fmt}", {"extensions": "true"})
    if fmt == "json":
        [item] = parse(response)
        extended, notes = item["extended_attributes"], item["notes"]
        answers = extended["attributes"]
    else:
        request = parse(response)[0]
        node = request.find("extended_attributes")
        assert node is not None
        extended = {child.tag: child.text for child in node}
        notes = [{child.tag: child.text for child in note} for note in request.findall("notes/note")]
        answers = [{c.tag: c.text for c in a} for a in node.findall("attributes/attribute")]
    assert extended["district"] == zone.name
    assert extended["state"] == "in_progress"
    assert extended["state_name"] == "در دست اقدام"
    assert extended["department"] == "urban_services"
    assert extended["channel"] == "open311"
    assert answers == [{"code": "hazards", "label": "خطرها", "value": "no_fence", "name": "بدون حفاظ"}]
    assert [(note["type"], note["status"]) for note in notes] == [("submitted", "open"), ("accept", "open")]
    assert notes[1]["summary"] == "در دست اقدام"
    assert all(note["datetime"].endswith("+03:30") for note in notes)


def test_a_citizens_own_words_stay_out_of_the_status_history(
    client: Client, reports: Any, citizen_user: Any, reviewer_user: Any
) -> None:
    from daftar.cases.followup import case_reopen

    case = case_file(
        service=reports["report.street_light"],
        applicant=citizen_user.person,
        office=None,
        channel="online",
        data={"problem": "flickering", "description": "چراغ چشمک می‌زند"},
        actor=citizen_user,
        location=Location(latitude=None, longitude=None, address="تهران"),
    )
    case = case_act(case=case, action="accept", actor=reviewer_user, expected_version=case.version)
    case = case_act(
        case=case, action="resolve", actor=reviewer_user, expected_version=case.version, reason="رفع شد"
    )
    case_reopen(
        case=case,
        actor=citizen_user,
        reason="هنوز خراب است، تلفن من ۰۹۱۲۱۲۳۴۵۶۷",
        expected_version=case.version,
    )
    [item] = parse(client.get(f"{BASE}/requests/{case.tracking_code}.json", {"extensions": "true"}))
    assert item["status"] == "open"
    assert "۰۹۱۲" not in str(item)
    assert "هنوز خراب" not in str(item)
    assert item["notes"][-1]["type"] == "reopen"
    assert item["notes"][-1]["description"] is None
    assert item["status_notes"] == "در دست اقدام"


def test_listing_costs_a_fixed_number_of_queries(
    client: Client, file_report: Any, django_assert_max_num_queries: Any
) -> None:
    for code in ("report.street_light", "report.waste_not_collected", "report.open_excavation") * 3:
        file_report(code)
    with django_assert_max_num_queries(8):
        assert len(parse(client.get(f"{BASE}/requests.xml?extensions=true"))) == 9


def test_reading_is_rate_limited_per_address(client: Client, reports: Any, settings: Any) -> None:
    settings.OPEN311_GET_RATE_PER_IP = "2/m"
    assert client.get(f"{BASE}/services.json").status_code == 200
    assert client.get(f"{BASE}/requests.xml").status_code == 200
    response = client.get(f"{BASE}/requests.xml")
    assert response.status_code == 429
    assert error_descriptions(response, "xml")[0][0] == 429
