"""Round trips with real Open311 clients from PyPI against a live server: ``georeport`` in both
of its output formats, and ``civicbot``, which also posts.

georeport reads (service list, definition, requests, one request) but has no call for POST, so with
it the request is posted the way GeoReport clients post it: a form-encoded body through
``requests``, with ``attribute[CODE]`` and ``attribute[CODE][]``, then read back through georeport.
civicbot validates its request against the live service definition, posts it and reads it back.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from georeport import GeoReport

from daftar.cases.models import Case

pytestmark = pytest.mark.django_db(transaction=True)

DESCRIPTION = "گودال بدون حفاظ جلوی مدرسه رها شده؛ شب‌ها خطرناک است."


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_lists_defines_posts_and_reads_back(
    live_server: Any, reports: Any, api_key: str, output_format: str
) -> None:
    root = f"{live_server.url}/open311/v2"
    client = GeoReport(root_address=root, jurisdiction="tehran", api_key=api_key, output_format=output_format)

    services = _as_list(client.get_service_list())
    codes = {service["service_code"] for service in services}
    assert "report.open_excavation" in codes
    excavation = next(s for s in services if s["service_code"] == "report.open_excavation")
    assert str(excavation["metadata"]).lower() == "true"

    definition = client.get_service_definition("report.open_excavation")
    attributes = definition["attributes"]
    attributes = _as_list(attributes["attribute"]) if output_format == "xml" else attributes
    hazards = next(a for a in attributes if a["code"] == "hazards")
    assert hazards["datatype"] == "multivaluelist"
    values = _as_list(hazards["values"]["value"]) if output_format == "xml" else hazards["values"]
    keys = [value["key"] for value in values]

    posted = requests.post(
        f"{root}/requests.{output_format}",
        data={
            "api_key": api_key,
            "jurisdiction_id": "tehran",
            "service_code": "report.open_excavation",
            "lat": "35.7575",
            "long": "51.4100",
            "address_string": "تهران، خیابان ملاصدرا",
            "attribute[hazards][]": keys[:2],
            "attribute[contractor]": "آبفا",
            "description": DESCRIPTION,
            "email": "someone@example.com",
            "first_name": "Ali",
        },
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    case = Case.objects.get()
    assert case.data["hazards"] == keys[:2]

    one = client.get_service_request(case.tracking_code)
    assert one["service_request_id"] == case.tracking_code
    assert one["description"] == DESCRIPTION
    assert one["status"] == "open"
    assert str(one["lat"]) == "35.7575"
    listed = _as_list(client.get_service_requests(service_code="report.open_excavation", status="open"))
    assert [item["service_request_id"] for item in listed] == [case.tracking_code]
    assert "someone@example.com" not in str(listed)
    assert "Ali" not in str(listed)


def test_a_deferred_request_is_filed_after_commit_and_found_by_its_token(
    live_server: Any, reports: Any, api_key: str
) -> None:
    root = f"{live_server.url}/open311/v2"
    posted = requests.post(
        f"{root}/requests.json",
        data={
            "api_key": api_key,
            "service_code": "report.illegal_dumping",
            "address_id": "545483",
            "attribute[material][]": ["construction_debris", "furniture"],
            "attribute[vehicle_seen]": "false",
            "description": "نخاله و مبلمان کهنه",
        },
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    [answer] = posted.json()
    token = answer["token"]
    assert "service_request_id" not in answer
    [found] = requests.get(f"{root}/tokens/{token}.json", timeout=30).json()
    case = Case.objects.get()  # the task ran once the POST committed (eager here)
    assert found == {"service_request_id": case.tracking_code, "token": token}
    assert case.data["material"] == ["construction_debris", "furniture"]
    reader = GeoReport(root_address=root, output_format="xml")
    assert reader.get_service_request(case.tracking_code)["service_request_id"] == case.tracking_code


def test_civicbot_files_a_request_validated_against_the_live_definition_and_reads_it_back(
    live_server: Any, reports: Any, api_key: str
) -> None:
    """civicbot (PyPI) posts as well: it fetches the service list and definition, checks the
    attributes against them, sends the form and reads the request back, all over HTTP."""
    from civicbot.http import HttpTransport, RateLimiter
    from civicbot.open311 import CONFIRM_TOKEN, Open311Client
    from civicbot.registry import Endpoint

    endpoint = Endpoint(id="daftar", name="Daftar", base_url=f"{live_server.url}/open311/v2", write=True)
    transport = HttpTransport(rate_limiter=RateLimiter(min_interval=0.0))
    client = Open311Client(endpoint, transport=transport, jurisdiction_id="tehran")
    sent = client.create_request(
        "report.open_excavation",
        dry_run=False,
        confirm=CONFIRM_TOKEN,
        api_key=api_key,
        validate_remote=True,
        lat=35.7575,
        lng=51.41,
        description=DESCRIPTION,
        attributes={"hazards": ["no_fence", "water"], "contractor": "آبفا"},
        first_name="Ali",
    )
    [answer] = sent.response
    case = Case.objects.get()
    assert answer["service_request_id"] == case.tracking_code
    assert case.data["hazards"] == ["no_fence", "water"]
    read = client.get_request(case.tracking_code)
    assert read is not None
    assert read["description"] == DESCRIPTION
    assert "Ali" not in str(read)
