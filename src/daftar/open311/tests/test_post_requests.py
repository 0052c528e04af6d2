"""POST requests and GET tokens in XML and JSON: filing, every error the spec defines, deferred
filing, Persian text byte for byte, and nothing personal in what the public can read."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from daftar.cases.models import Case
from daftar.open311.models import Open311Key, Open311Request
from daftar.open311.services import open311_key_revoke

from .conftest import BASE, STREET_LIGHT, error_descriptions, parse, requests_of

pytestmark = pytest.mark.django_db
FORMATS = ("json", "xml")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_posted_request_answers_with_its_id_and_notice(post_request: Any, reports: Any, fmt: str) -> None:
    response = post_request(fmt, **STREET_LIGHT, account_id="u-42")
    assert response.status_code == 200, response.content
    [item] = requests_of(response, fmt)
    case = Case.objects.get()
    assert item["service_request_id"] == case.tracking_code  # the tracking code, a string
    assert item["account_id"] == "u-42"
    assert "token" not in item
    assert item["service_notice"]
    if fmt == "xml":
        body = parse(response)
        assert [child.tag for child in body[0]] == ["service_request_id", "service_notice", "account_id"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_without_an_api_key_is_403(post_request: Any, reports: Any, fmt: str) -> None:
    response = post_request(fmt, **STREET_LIGHT, api_key="")
    assert response.status_code == 403
    [(code, description)] = error_descriptions(response, fmt)
    assert code == 403
    assert "api_key" in description
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wrong_or_revoked_api_key_is_403(post_request: Any, api_key: str, reports: Any, fmt: str) -> None:
    for wrong in ("o311_deadbeef_nothing", api_key[:-2] + "xx", "not-a-key"):
        response = post_request(fmt, **STREET_LIGHT, api_key=wrong)
        assert response.status_code == 403
        assert error_descriptions(response, fmt)[0][0] == 403
    open311_key_revoke(key=Open311Key.objects.get())
    response = post_request(fmt, **STREET_LIGHT)
    assert response.status_code == 403
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_service_code_is_400_and_an_unknown_one_404(
    post_request: Any, reports: Any, service_version: Any, fmt: str
) -> None:
    response = post_request(fmt, **{**STREET_LIGHT, "service_code": ""})
    assert response.status_code == 400
    assert "service_code" in error_descriptions(response, fmt)[0][1]
    # The spec: "404 - service_code or jurisdiction_id was not found".
    for code in ("report.teleporter", service_version.code):
        response = post_request(fmt, **{**STREET_LIGHT, "service_code": code})
        assert response.status_code == 404
        [(status, description)] = error_descriptions(response, fmt)
        assert status == 404
        assert "service_code" in description
    response = post_request(fmt, **STREET_LIGHT, jurisdiction_id="nowhere.example")
    assert response.status_code == 404
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_without_a_location_is_400(post_request: Any, reports: Any, fmt: str) -> None:
    response = post_request(fmt, **{**STREET_LIGHT, "lat": None, "long": None})
    assert response.status_code == 400
    [(code, description)] = error_descriptions(response, fmt)
    assert code == 400
    assert "location" in description
    response = post_request(fmt, **{**STREET_LIGHT, "long": None})
    assert response.status_code == 400
    assert error_descriptions(response, fmt)[0][1].startswith("long: ")
    response = post_request(fmt, **{**STREET_LIGHT, "lat": "north", "long": "51.4"})
    assert response.status_code == 400
    assert error_descriptions(response, fmt)[0][1].startswith("lat: ")
    response = post_request(fmt, **{**STREET_LIGHT, "lat": "135.2"})
    assert response.status_code == 400
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_attributes_are_400_one_error_each_with_the_services_persian_messages(
    post_request: Any, reports: Any, fmt: str
) -> None:
    response = post_request(
        fmt,
        **{**STREET_LIGHT, "attribute[problem]": "melted", "attribute[colour]": "red", "description": "کم"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    errors = dict(description.split(": ", 1) for _code, description in error_descriptions(response, fmt))
    assert set(errors) == {"attribute[problem]", "attribute[colour]", "description"}
    assert (
        errors["attribute[problem]"] == "یکی از گزینه‌های فهرست را انتخاب کنید."
    )  # Persian, whatever was asked
    assert "۵" in errors["description"]  # at least 5 characters, in Persian digits
    assert not Case.objects.exists()


def test_a_missing_required_attribute_is_400(post_request: Any, reports: Any) -> None:
    response = post_request("json", **{**STREET_LIGHT, "attribute[problem]": None})
    assert response.status_code == 400
    assert error_descriptions(response, "json")[0][1].startswith("attribute[problem]: ")


def test_multivaluelist_values_come_as_attribute_code_brackets(
    client: Client, api_key: str, reports: Any
) -> None:
    body = (
        f"api_key={api_key}&service_code=report.open_excavation&address_string=%D8%AA%D9%87%D8%B1%D8%A7%D9%86"
        "&attribute[hazards][]=no_fence&attribute[hazards][]=debris&attribute[started_on]=1405/09/01"
        "&description=%DA%AF%D9%88%D8%AF%D8%A7%D9%84+%D8%B1%D9%87%D8%A7+%D8%B4%D8%AF%D9%87"
    )
    response = client.post(
        f"{BASE}/requests.json", body, content_type="application/x-www-form-urlencoded; charset=utf-8"
    )
    assert response.status_code == 200, response.content
    case = Case.objects.get()
    assert case.data == {
        "hazards": ["no_fence", "debris"],
        "started_on": "1405/09/01",
        "description": "گودال رها شده",
    }
    assert case.address == "تهران"
    assert case.latitude is None


def test_a_single_attribute_value_for_a_multivaluelist_is_one_choice(post_request: Any, reports: Any) -> None:
    response = post_request(
        "json",
        service_code="report.open_excavation",
        address_id="545483",
        **{"attribute[hazards]": "water"},
        description="گودال پر از آب",
    )
    assert response.status_code == 200
    assert Case.objects.get().data["hazards"] == ["water"]


def test_files_are_refused_in_favour_of_media_url(client: Client, api_key: str, reports: Any) -> None:
    photo = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0fake", content_type="image/jpeg")
    response = client.post(f"{BASE}/requests.json", {**STREET_LIGHT, "api_key": api_key, "media": photo})
    assert response.status_code == 400
    assert "media" in error_descriptions(response, "json")[0][1]
    assert not Case.objects.exists()


def test_post_needs_no_csrf_token(api_key: str, reports: Any) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"{BASE}/requests.json", {**STREET_LIGHT, "api_key": api_key})
    assert response.status_code == 200


def test_the_same_idempotency_key_files_once(client: Client, api_key: str, reports: Any) -> None:
    data = {**STREET_LIGHT, "api_key": api_key}
    first = client.post(f"{BASE}/requests.json", data, HTTP_IDEMPOTENCY_KEY="app-retry-1")
    again = client.post(f"{BASE}/requests.json", data, HTTP_IDEMPOTENCY_KEY="app-retry-1")
    assert json.loads(first.content) == json.loads(again.content)
    assert Case.objects.count() == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_deferred_service_answers_with_a_token_then_the_token_gives_the_id(
    client: Client, post_request: Any, reports: Any, fmt: str, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post_request(
            fmt,
            service_code="report.illegal_dumping",
            address_string="تهران، بزرگراه همت",
            **{
                "attribute[material][]": "construction_debris",
                "attribute[observed_at]": "2026-11-22T11:00:00Z",
            },
            description="نخاله ساختمانی رها شده",
        )
    assert response.status_code == 200, response.content
    [item] = requests_of(response, fmt)
    assert "service_request_id" not in item
    token = item["token"]
    assert token
    assert not Case.objects.exists()

    before = client.get(f"{BASE}/tokens/{token}.{fmt}")
    assert before.status_code == 200
    assert requests_of(before, fmt) == [{"token": token}]

    for callback in queued:  # the task runs after commit (eager in tests)
        callback()
    case = Case.objects.get()
    assert case.data["observed_at"] == "2026-11-22T14:30:00+03:30"
    after = client.get(f"{BASE}/tokens/{token}.{fmt}")
    assert requests_of(after, fmt) == [{"service_request_id": case.tracking_code, "token": token}]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_token_is_404(client: Client, reports: Any, fmt: str) -> None:
    response = client.get(f"{BASE}/tokens/no-such-token.{fmt}")
    assert response.status_code == 404
    assert error_descriptions(response, fmt)[0][0] == 404


def test_a_token_whose_filing_failed_says_why(
    client: Client, post_request: Any, reports: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post_request(
            "json",
            service_code="report.illegal_dumping",
            address_string="تهران",
            **{"attribute[material]": "furniture"},
            description="مبلمان کهنه",
        )
    token = json.loads(response.content)[0]["token"]
    service = reports["report.illegal_dumping"]
    type(service).objects.filter(pk=service.pk).update(status="draft")
    for callback in queued:
        callback()
    response = client.get(f"{BASE}/tokens/{token}.json")
    assert response.status_code == 400
    assert Open311Request.objects.get().status == "failed"


PERSIAN = "چراغ‌های کوچهٔ «نسترن» از دیشب خاموش است؛ لطفاً پیگیری کنید!\nپلاک 12 — نزدیک مدرسه 🙏"
ADDRESS = "تهران، خیابان ولی‌عصر، کوچهٔ ۱۲ & <نبش>"


@pytest.mark.parametrize("fmt", FORMATS)
def test_persian_text_comes_back_byte_for_byte(
    client: Client, post_request: Any, reports: Any, fmt: str
) -> None:
    response = post_request(fmt, **{**STREET_LIGHT, "description": PERSIAN, "address_string": ADDRESS})
    assert response.status_code == 200
    code = Case.objects.get().tracking_code
    for read in ("json", "xml"):
        answer = client.get(f"{BASE}/requests/{code}.{read}")
        [item] = requests_of(answer, read)
        assert item["description"] == PERSIAN
        assert item["address"] == ADDRESS
        for line in PERSIAN.splitlines():  # UTF-8 as is, no \\u escapes (JSON writes the line break \\n)
            assert line.encode("utf-8") in answer.content
    xml_answer = client.get(f"{BASE}/requests/{code}.xml")
    assert "&amp; &lt;نبش&gt;".encode() in xml_answer.content  # escaped, not raw markup


def test_arabic_keyboard_letters_are_stored_in_persian_spelling(post_request: Any, reports: Any) -> None:
    post_request("json", **{**STREET_LIGHT, "description": "چراغ خاموش كوچه ي ما"})
    assert Case.objects.get().data["description"] == "چراغ خاموش کوچه ی ما"


def test_no_public_answer_carries_the_reporter_or_the_applicant(
    client: Client, post_request: Any, reports: Any, django_capture_on_commit_callbacks: Any
) -> None:
    private = {
        "email": "reporter@example.com",
        "device_id": "DEVICE-7788",
        "account_id": "acct-5566",
        "first_name": "Shirin",
        "last_name": "Rahimi",
        "phone": "09125554433",
    }
    post_request("json", **STREET_LIGHT, **private, media_url="https://img.example.com/p/1.jpg")
    case = Case.objects.get()
    stored = Open311Request.objects.get()
    assert (stored.email, stored.phone, stored.device_id) == (
        "reporter@example.com",
        "09125554433",
        "DEVICE-7788",
    )
    for path in (
        f"{BASE}/requests.json?extensions=true",
        f"{BASE}/requests.xml?extensions=true",
        f"{BASE}/requests/{case.tracking_code}.json?extensions=true",
        f"{BASE}/requests/{case.tracking_code}.xml",
    ):
        body = client.get(path).content.decode("utf-8")
        assert "https://img.example.com/p/1.jpg" in body  # media_url is public
        for secret in [*private.values(), case.applicant.national_code, "اپلیکیشن شهر من"]:
            assert secret not in body, (path, secret)


def test_too_many_posts_with_one_key_are_429_in_the_error_format(
    post_request: Any, reports: Any, settings: Any
) -> None:
    settings.OPEN311_POST_RATE_PER_KEY = "2/m"
    assert post_request("xml", **STREET_LIGHT).status_code == 200
    assert post_request("xml", **STREET_LIGHT).status_code == 200
    response = post_request("xml", **STREET_LIGHT)
    assert response.status_code == 429
    assert error_descriptions(response, "xml")[0][0] == 429
    assert Case.objects.count() == 2


def test_key_guessing_is_slowed_per_address(post_request: Any, reports: Any, settings: Any) -> None:
    settings.OPEN311_POST_RATE_PER_IP = "3/m"
    for _attempt in range(3):
        assert post_request("json", **STREET_LIGHT, api_key="o311_aaaa_guess").status_code == 403
    assert post_request("json", **STREET_LIGHT).status_code == 429
