"""From filing to a certificate that verifies, through the REST API, for three families of the
shipped catalogue — with a correction loop on the way (a rejected document sends the case back)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from daftar.accounts.models import User
from daftar.accounts.services import api_token_create
from daftar.catalog.services import catalog_load
from daftar.certificates.signing import canonical_json  # noqa: F401 - the payload format is public
from daftar.offices.models import City, Office
from daftar.offices.services import staff_assign

pytestmark = pytest.mark.django_db

ENGINEER = {
    "engineer_national_code": "0084575948",
    "engineer_name": "مهندس کامران صالحی",
    "engineer_membership_number": "1-12-3456",
    "engineer_mobile": "09123334455",
}

JOURNEYS: dict[str, dict[str, Any]] = {
    "building.new_construction_permit": {
        "renewal_code": "۳-۱۲۳-۴۵-۶-۷-۸",
        "deed_number": "۴۵۶۷/۱۲",
        "land_area_m2": "240",
        "floors": "5",
        "units": "8",
        "use": "residential",
        **ENGINEER,
    },
    "business.new_licence": {
        "business_name": "نانوایی سنگک برکت",
        "trade": "نانوایی",
        "renewal_code": "6-44-12-3",
        "postal_code": "1591634311",
        "area_m2": "65",
        "ownership": "leased",
    },
    "building.completion_certificate": {
        "renewal_code": "3-123-45-6-7-8",
        "permit_number": "۱۴۰۲/۳۳۴۵",
        "permit_date": "۱۴۰۲/۰۳/۱۵",
        "floors": "5",
        "units": "8",
        "supervisor_membership_number": "1-12-9876",
    },
}

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n160\n%%EOF\n"
)


class Caller:
    def __init__(self, client: Client, user: User) -> None:
        self.client = client
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='e2e').secret}"}

    def get(self, path: str) -> Any:
        response = self.client.get(f"/api/v1{path}", **self.auth)
        assert response.status_code == 200, response.content
        return response.json()

    def post(self, path: str, body: dict[str, Any], status: int = 200, **headers: Any) -> Any:
        response = self.client.post(
            f"/api/v1{path}", body, content_type="application/json", **self.auth, **headers
        )
        assert response.status_code == status, response.content
        return response.json()

    def upload(self, code: str, requirement: str, content: bytes = PDF) -> Any:
        data = {"requirement": requirement, "file": io.BytesIO(content)}
        data["file"].name = f"{requirement}.pdf"  # type: ignore[attr-defined]
        response = self.client.post(f"/api/v1/cases/{code}/documents", data, **self.auth)
        assert response.status_code == 201, response.content
        return response.json()


def _staff(username: str, role: str, city: City, office: Office | None = None) -> User:
    user = User.objects.create_user(username=username, password="x-test-password-1405")
    staff_assign(user=user, role=role, city=city, office=office)
    return user


@pytest.fixture
def people(office: Office, tehran_tariffs: None) -> dict[str, Caller]:
    catalog_load(directory=settings.DAFTAR_CATALOG_DIR)
    city = office.city
    client = Client()
    return {
        role: Caller(client, _staff(f"e2e-{role}", role, city, office if role == "office_operator" else None))
        for role in ("office_operator", "municipal_reviewer", "technical_inspector", "licensing_officer")
    }


def _take_the_way_forward(people: dict[str, Caller], code: str) -> dict[str, Any]:
    """Take the first non-shared action offered to any staff member, like the municipality would."""
    for role, caller in people.items():
        if role == "office_operator":
            continue
        actions = [
            a
            for a in caller.get(f"/cases/{code}/actions")
            if a["code"] not in ("request_correction", "reject", "suspend", "withdraw")
        ]
        if actions:
            case = caller.get(f"/cases/{code}")
            reason = "بازدید انجام شد و مطابق مدارک است" if actions[0]["reason"] == "required" else ""
            return caller.post(
                f"/cases/{code}/act",
                {"action": actions[0]["code"], "expected_version": case["version"], "reason": reason},
            )
    raise AssertionError(f"nobody can move case {code} on")


def _pay_at_the_counter(operator: Caller, code: str, office: Office, capture: Any) -> list[dict[str, Any]]:
    """The applicant pays the case's bill on the office's card terminal; the case moves on by itself."""
    paid = []
    for bill in operator.get(f"/cases/{code}/bills"):
        if bill["status"] != "open":
            continue
        with capture(execute=True):
            operator.post(
                f"/bills/{bill['number']}/counter-payments",
                {"office": office.code, "terminal_reference": f"7{bill['number'][:9]}"},
                status=201,
            )
        paid.append(operator.get(f"/bills/{bill['number']}"))
    assert operator.get(f"/cases/{code}")["state"] != "awaiting_payment"
    return paid


@pytest.mark.parametrize("service", list(JOURNEYS))
def test_a_case_goes_from_filing_through_correction_and_payment_to_a_verified_certificate(
    service: str, people: dict[str, Caller], office: Office, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    operator = people["office_operator"]
    body = {
        "service": service,
        "channel": "office",
        "office": office.code,
        "data": JOURNEYS[service],
        "applicant": {
            "national_code": "0012345679",
            "first_name": "سارا",
            "last_name": "احمدی",
            "mobile": "09121234567",
        },
        "location": {"latitude": "35.7575", "longitude": "51.4100", "address": "تهران، ونک"},
    }
    filed = operator.post("/cases", body, status=201, HTTP_IDEMPOTENCY_KEY=f"e2e-{service}")
    again = operator.post("/cases", body, status=201, HTTP_IDEMPOTENCY_KEY=f"e2e-{service}")
    assert again["tracking_code"] == filed["tracking_code"]
    code = filed["tracking_code"]

    checklist = operator.get(f"/cases/{code}/documents")
    required = [row["requirement"] for row in checklist if row["required"]]
    uploaded = {req: operator.upload(code, req) for req in required}
    reviewer = next(
        c
        for r, c in people.items()
        if r != "office_operator"
        and any(a["code"] == "request_correction" for a in c.get(f"/cases/{code}/actions"))
    )

    # The correction loop: one document is rejected, the case goes to نقص مدارک and comes back.
    first = uploaded[required[0]]
    reviewer.post(f"/documents/{first['id']}/review", {"verified": False, "reason": "تصویر ناخوانا است"})
    assert operator.get(f"/cases/{code}")["state"] == "correction"
    uploaded[required[0]] = operator.upload(code, required[0])
    case = operator.get(f"/cases/{code}")
    operator.post(f"/cases/{code}/act", {"action": "resubmit", "expected_version": case["version"]})
    assert operator.get(f"/cases/{code}")["state"] == "submitted"

    for document in uploaded.values():
        reviewer.post(f"/documents/{document['id']}/review", {"verified": True})
    paid = []
    for _step in range(8):
        if operator.get(f"/cases/{code}")["state"] == "awaiting_payment":
            paid += _pay_at_the_counter(operator, code, office, capture)
            continue
        case = _take_the_way_forward(people, code)
        if case["closed_at"]:
            break
    assert case["outcome"] == "approved"
    # The fees were quoted at filing: the municipality's fee lines and this office's tariff.
    assert [bill["status"] for bill in paid] == ["paid"]
    lines = {item["line"] for item in paid[0]["items"]}
    assert lines == {"municipal_fee", "office_tariff"}

    certificates = operator.get(f"/cases/{code}/certificates")
    assert len(certificates) == 1
    number = certificates[0]["number"]
    verification = Client().get(f"/api/v1/certificates/{number}/verify").json()
    assert verification["status"] == "valid"
    assert verification["signature_ok"]
    assert verification["payload"]["tracking_code"] == code
    timeline = operator.get(f"/cases/{code}/timeline")
    assert [e["to_state"] for e in timeline if e["action"] == "request_correction"] == ["correction"]
