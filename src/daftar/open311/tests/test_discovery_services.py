"""Discovery, the service list and service definitions, in XML and JSON, and their errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from daftar.offices.models import City

from .conftest import BASE, error_descriptions, parse

pytestmark = pytest.mark.django_db
FORMATS = ("json", "xml")


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_v2_endpoint_and_both_formats(client: Client, reports: Any, fmt: str) -> None:
    response = client.get(f"/open311/discovery.{fmt}")
    assert response.status_code == 200
    body = parse(response)
    if fmt == "json":
        endpoint = body["endpoints"][0]
        assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
        assert endpoint["formats"] == ["text/xml", "application/json"]
    else:
        assert body.tag == "discovery"
        assert [e.tag for e in body] == ["changeset", "contact", "key_service", "endpoints"]
        node = body.find("endpoints/endpoint")
        assert node is not None
        endpoint = {child.tag: child.text for child in node}
        assert [f.text for f in node.findall("formats/format")] == ["text/xml", "application/json"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["changeset"].endswith("+03:30")


def test_the_service_list_offers_only_services_with_an_open311_listing(
    client: Client, reports: Any, service_version: Any
) -> None:
    body = parse(client.get(f"{BASE}/services.json"))
    codes = [item["service_code"] for item in body]
    assert sorted(codes) == sorted(reports)
    assert service_version.code not in codes  # a building certificate is not an Open311 service
    light = next(item for item in body if item["service_code"] == "report.street_light")
    assert light == {
        "service_code": "report.street_light",
        "service_name": "گزارش خرابی روشنایی معابر",
        "description": "چراغ معبر خاموش، چشمک‌زن یا در روز روشن است، یا پایه چراغ آسیب دیده است.",
        "metadata": True,
        "type": "realtime",
        "keywords": "چراغ,روشنایی,تیر برق",
        "group": "روشنایی و تأسیسات",
    }
    dumping = next(item for item in body if item["service_code"] == "report.illegal_dumping")
    assert dumping["type"] == "batch"  # deferred: answered with a token


def test_the_service_list_in_xml_has_one_service_element_each(client: Client, reports: Any) -> None:
    response = client.get(f"{BASE}/services.xml")
    body = parse(response)
    assert body.tag == "services"
    assert [child.tag for child in body] == ["service"] * len(reports)
    light = next(s for s in body if s.findtext("service_code") == "report.street_light")
    assert light.findtext("metadata") == "true"
    assert light.findtext("type") == "realtime"
    assert light.findtext("group") == "روشنایی و تأسیسات"


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_id_is_the_city_code_and_an_unknown_one_is_404(
    client: Client, reports: Any, fmt: str
) -> None:
    assert client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "tehran"}).status_code == 200
    response = client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "sfgov.org"})
    assert response.status_code == 404
    [(code, description)] = error_descriptions(response, fmt)
    assert code == 404
    assert "jurisdiction_id" in description


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_id_is_required_once_several_cities_are_served(
    client: Client, reports: Any, fmt: str
) -> None:
    City.objects.create(code="isfahan", name_fa="اصفهان", name_en="Isfahan")
    response = client.get(f"{BASE}/services.{fmt}")
    assert response.status_code == 400
    [(code, description)] = error_descriptions(response, fmt)
    assert code == 400
    assert "jurisdiction_id" in description
    assert client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "isfahan"}).status_code == 200


def test_a_definition_lists_each_intake_field_but_the_description_in_form_order(
    client: Client, reports: Any
) -> None:
    body = parse(client.get(f"{BASE}/services/report.illegal_dumping.json"))
    assert body["service_code"] == "report.illegal_dumping"
    attributes = {a["code"]: a for a in body["attributes"]}
    assert list(attributes) == ["material", "observed_at", "vehicle_seen"]
    assert [a["order"] for a in body["attributes"]] == [1, 2, 3]
    material = attributes["material"]
    assert material["datatype"] == "multivaluelist"
    assert material["required"] is True
    assert material["variable"] is True
    assert material["description"] == "نوع پسماند"
    assert material["values"][0] == {"key": "construction_debris", "name": "نخاله ساختمانی"}
    assert "attribute[material][]" in material["datatype_description"]
    assert attributes["observed_at"]["datatype"] == "datetime"
    assert attributes["observed_at"]["required"] is False
    assert "values" not in attributes["observed_at"]
    yes_no = attributes["vehicle_seen"]  # a boolean is a yes/no list
    assert yes_no["datatype"] == "singlevaluelist"
    assert [v["key"] for v in yes_no["values"]] == ["true", "false"]


def test_each_schema_type_maps_to_its_open311_datatype(client: Client, reports: Any) -> None:
    def datatypes(code: str) -> dict[str, str]:
        body = parse(client.get(f"{BASE}/services/{code}.json"))
        return {a["code"]: a["datatype"] for a in body["attributes"]}

    assert datatypes("report.street_light") == {"problem": "singlevaluelist", "pole_number": "string"}
    assert datatypes("report.waste_not_collected") == {
        "waste_type": "singlevaluelist",
        "days_uncollected": "number",
    }
    assert datatypes("report.open_excavation") == {
        "hazards": "multivaluelist",
        "started_on": "string",
        "contractor": "string",
    }


def test_a_multiline_field_other_than_the_description_is_text(client: Client, reports: Any) -> None:
    from daftar.open311.selectors import service_attributes

    service = reports["report.street_light"]
    schema = {**service.intake_schema}
    schema["properties"] = {
        **schema["properties"],
        "details": {"type": "string", "title": "جزئیات", "x-multiline": True},
    }
    service.intake_schema = schema
    assert {a.code: a.datatype for a in service_attributes(service)}["details"] == "text"


def test_a_definition_in_xml_has_attributes_and_values_elements(client: Client, reports: Any) -> None:
    body = parse(client.get(f"{BASE}/services/report.open_excavation.xml"))
    assert body.tag == "service_definition"
    assert body.findtext("service_code") == "report.open_excavation"
    first = body.find("attributes/attribute")
    assert first is not None
    assert [child.tag for child in first] == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert first.findtext("variable") == "true"
    assert first.findtext("order") == "1"
    keys = [value.findtext("key") for value in first.findall("values/value")]
    assert keys[:2] == ["no_fence", "no_warning_light"]
    assert first.find("values/value/name") is not None


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_or_unoffered_service_definition_is_404(
    client: Client, reports: Any, service_version: Any, fmt: str
) -> None:
    for code in ("report.no_such_thing", service_version.code):
        response = client.get(f"{BASE}/services/{code}.{fmt}")
        assert response.status_code == 404
        [(status, description)] = error_descriptions(response, fmt)
        assert status == 404
        assert "service_code" in description


def test_an_unknown_format_or_resource_is_a_json_404(client: Client, reports: Any) -> None:
    for path in (
        f"{BASE}/services.html",
        f"{BASE}/services/report.street_light.csv",
        f"{BASE}/requests.rss",
        "/open311/discovery.yaml",
        f"{BASE}/nothing-here",
        f"{BASE}/services",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json; charset=utf-8"
        [(code, _description)] = error_descriptions(response, "json")
        assert code == 404


def test_a_wrong_method_is_refused_in_the_requested_format(client: Client, reports: Any) -> None:
    response = client.post(f"{BASE}/services.xml")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert error_descriptions(response, "xml")[0][0] == 405


ENDPOINTS = (
    "services.{fmt}",
    "services/report.street_light.{fmt}",
    "requests.{fmt}",
    "requests/XFNN2BBV9K.{fmt}",
    "tokens/some-token.{fmt}",
)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_checks_the_jurisdiction_the_same_way(
    client: Client, reports: Any, endpoint: str, fmt: str
) -> None:
    path = f"{BASE}/{endpoint.format(fmt=fmt)}"
    response = client.get(path, {"jurisdiction_id": "atlantis"})
    assert response.status_code == 404
    assert "jurisdiction_id" in error_descriptions(response, fmt)[0][1]
    City.objects.create(code="isfahan", name_fa="اصفهان", name_en="Isfahan")
    response = client.get(path)
    assert response.status_code == 400
    assert "jurisdiction_id" in error_descriptions(response, fmt)[0][1]
