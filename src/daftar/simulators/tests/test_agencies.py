"""The agency simulator, driven over real HTTP with webhooks signed as Daftar's outbox signs them."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
import pytest
import requests
import yaml
from django.conf import settings
from jsonschema import Draft202012Validator

from daftar.outbox.signing import webhook_sign
from daftar.simulators import agencies as agencies_module
from daftar.simulators.agencies import (
    AgencyConfig,
    AgencySimulator,
    SimulatorConfig,
    data_from_schema,
    jalali_today,
)

from .fakes import (
    ANSWER_SCHEMA,
    REGISTRY_SECRET,
    WATER_KEY,
    WATER_SECRET,
    FakeDaftar,
    inquiry,
    send_webhook,
    wait_for,
)

Simulator = Callable[..., AgencySimulator]

ZERO = {"received": 0, "duplicates": 0, "rejected_signatures": 0, "answered": 0, "answer_errors": 0}


def _today_jalali() -> str:
    today = jdatetime.date.fromgregorian(date=datetime.now(ZoneInfo("Asia/Tehran")).date())
    return f"{today.year:04d}/{today.month:02d}/{today.day:02d}"


# --- the happy path ---------------------------------------------------------------------------


def test_a_signed_webhook_is_answered_once_with_data_that_fits_the_schema(
    make_simulator: Simulator, fake_daftar: FakeDaftar
) -> None:
    simulator = make_simulator()

    response = send_webhook(simulator, "water", inquiry(42), secret=WATER_SECRET)

    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    assert wait_for(lambda: len(fake_daftar.answers) == 1)
    assert simulator.wait_idle()
    [answer] = fake_daftar.answers
    assert answer["inquiry"] == 42
    assert answer["agency"] == "water"  # the water agency's Bearer key was used
    assert answer["content_type"] == "application/json"
    payload = answer["payload"]
    assert set(payload) == {"outcome", "data", "note", "reference"}
    assert payload["outcome"] == "positive"
    assert payload["reference"] == "WATER-42"
    assert payload["note"]
    errors = [e.message for e in Draft202012Validator(ANSWER_SCHEMA).iter_errors(payload["data"])]
    assert errors == []
    assert set(payload["data"]) == set(ANSWER_SCHEMA["properties"])  # optional properties filled too
    assert payload["data"]["branch_status"] == "active"
    assert payload["data"]["debt_rials"] == 0
    assert payload["data"]["floors"] == 1
    assert payload["data"]["checked_on"] == _today_jalali()
    assert simulator.stats()["water"] == ZERO | {"received": 1, "answered": 1}
    assert simulator.stats()["registry"] == ZERO


def test_outcome_by_inquiry_type_comes_with_a_persian_note(
    make_simulator: Simulator, fake_daftar: FakeDaftar
) -> None:
    simulator = make_simulator(registry={"outcome": {"deed_status": "negative", "*": "conditional"}})

    send_webhook(
        simulator, "registry", inquiry(7, agency="registry", type="deed_status"), secret=REGISTRY_SECRET
    )
    send_webhook(
        simulator, "registry", inquiry(8, agency="registry", type="mortgage"), secret=REGISTRY_SECRET
    )

    assert wait_for(lambda: len(fake_daftar.answers) == 2)
    (negative,) = (a["payload"] for a in fake_daftar.answers_for(7))
    (conditional,) = (a["payload"] for a in fake_daftar.answers_for(8))
    assert negative["outcome"] == "negative"
    assert conditional["outcome"] == "conditional"
    for payload in (negative, conditional):
        assert any("\u0600" <= ch <= "\u06ff" for ch in payload["note"])
    assert negative["reference"] == "REGISTRY-7"
    assert all(a["agency"] == "registry" for a in fake_daftar.answers)


def test_answer_rules_give_fixed_data(make_simulator: Simulator, fake_daftar: FakeDaftar) -> None:
    rule = {"debt_rials": 1_250_000, "branch_status": "cut", "checked_on": "1405/02/10"}
    simulator = make_simulator(water={"answer_rules": {"connection_status": rule}, "outcome": "conditional"})

    send_webhook(simulator, "water", inquiry(9), secret=WATER_SECRET)

    assert wait_for(lambda: len(fake_daftar.answers) == 1)
    assert fake_daftar.answers[0]["payload"]["data"] == rule
    assert fake_daftar.answers[0]["payload"]["outcome"] == "conditional"


def test_the_answer_waits_for_delay_seconds(make_simulator: Simulator, fake_daftar: FakeDaftar) -> None:
    simulator = make_simulator(water={"delay_seconds": 0.4})
    started = time.monotonic()

    assert send_webhook(simulator, "water", inquiry(10), secret=WATER_SECRET).status_code == 200

    time.sleep(0.15)
    assert fake_daftar.answers == []
    assert wait_for(lambda: len(fake_daftar.answers) == 1)
    assert time.monotonic() - started >= 0.4


def test_the_schema_is_fetched_when_the_webhook_lacks_it(
    make_simulator: Simulator, fake_daftar: FakeDaftar
) -> None:
    fake_daftar.inquiries[11] = inquiry(11)  # the API's detail carries the answer schema
    payload = inquiry(11)
    del payload["answer_schema"]
    simulator = make_simulator()

    send_webhook(simulator, "water", payload, secret=WATER_SECRET)

    assert wait_for(lambda: len(fake_daftar.answers) == 1)
    data = fake_daftar.answers[0]["payload"]["data"]
    assert list(Draft202012Validator(ANSWER_SCHEMA).iter_errors(data)) == []


def test_header_names_are_case_insensitive(make_simulator: Simulator, fake_daftar: FakeDaftar) -> None:
    simulator = make_simulator()
    body = json.dumps({"event": "inquiry.created", "inquiry": inquiry(25)}).encode()
    stamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "x-daftar-delivery": "d-25",
        "x-daftar-timestamp": str(stamp),
        "x-daftar-signature": webhook_sign(WATER_SECRET, stamp, body),
    }

    response = requests.post(simulator.webhook_url("water"), data=body, headers=headers, timeout=5)

    assert response.status_code == 200
    assert wait_for(lambda: len(fake_daftar.answers) == 1)


# --- refusals ---------------------------------------------------------------------------------


def test_a_wrong_signature_is_refused_and_counted(make_simulator: Simulator, fake_daftar: FakeDaftar) -> None:
    simulator = make_simulator()

    forged = send_webhook(simulator, "water", inquiry(12), secret=WATER_SECRET, signature="v1=" + "0" * 64)
    other_secret = send_webhook(simulator, "water", inquiry(12), secret=REGISTRY_SECRET)
    unsigned = requests.post(simulator.webhook_url("water"), json={"inquiry": inquiry(12)}, timeout=5)

    assert [forged.status_code, other_secret.status_code, unsigned.status_code] == [401, 401, 401]
    assert simulator.stats()["water"] == ZERO | {"rejected_signatures": 3}
    time.sleep(0.1)
    assert fake_daftar.attempts == []


def test_a_stale_timestamp_is_refused(make_simulator: Simulator, fake_daftar: FakeDaftar) -> None:
    simulator = make_simulator()

    stale = send_webhook(
        simulator, "water", inquiry(13), secret=WATER_SECRET, timestamp=int(time.time()) - 301
    )
    future = send_webhook(
        simulator, "water", inquiry(13), secret=WATER_SECRET, timestamp=int(time.time()) + 400
    )

    assert stale.status_code == 401
    assert future.status_code == 401
    assert simulator.stats()["water"]["rejected_signatures"] == 2
    assert simulator.stats()["water"]["received"] == 0


def test_the_same_delivery_twice_is_answered_once(make_simulator: Simulator, fake_daftar: FakeDaftar) -> None:
    simulator = make_simulator()

    first = send_webhook(simulator, "water", inquiry(14), secret=WATER_SECRET, delivery="d-14")
    second = send_webhook(simulator, "water", inquiry(14), secret=WATER_SECRET, delivery="d-14")

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"status": "duplicate"}
    assert wait_for(lambda: simulator.stats()["water"]["answered"] == 1)
    assert simulator.wait_idle()
    assert len(fake_daftar.answers) == 1
    assert fake_daftar.attempts == [14]
    assert simulator.stats()["water"] == ZERO | {"received": 1, "duplicates": 1, "answered": 1}


def test_down_answers_503_then_up_accepts(make_simulator: Simulator, fake_daftar: FakeDaftar) -> None:
    simulator = make_simulator()
    simulator.set_down(None)

    down = send_webhook(simulator, "water", inquiry(15), secret=WATER_SECRET, delivery="d-15")
    # Down means down: not even the signature is looked at.
    forged = send_webhook(simulator, "water", inquiry(15), secret=WATER_SECRET, signature="v1=00")
    assert (down.status_code, forged.status_code) == (503, 503)
    assert simulator.stats()["water"] == ZERO

    simulator.set_up()
    retried = send_webhook(simulator, "water", inquiry(15), secret=WATER_SECRET, delivery="d-15")

    assert retried.status_code == 200
    assert retried.json() == {"status": "accepted"}
    assert wait_for(lambda: len(fake_daftar.answers) == 1)


def test_down_over_http_for_some_seconds_and_for_one_agency(make_simulator: Simulator) -> None:
    simulator = make_simulator()
    base = simulator.base_url

    assert requests.post(f"{base}/_down", json={"seconds": 0.3}, timeout=5).json() == {
        "down": True,
        "seconds": 0.3,
    }
    assert send_webhook(simulator, "water", inquiry(16), secret=WATER_SECRET).status_code == 503
    time.sleep(0.35)
    assert send_webhook(simulator, "water", inquiry(16), secret=WATER_SECRET).status_code == 200

    assert requests.post(f"{base}/_down", json={"agency": "registry"}, timeout=5).status_code == 200
    assert (
        send_webhook(
            simulator, "registry", inquiry(17, agency="registry"), secret=REGISTRY_SECRET
        ).status_code
        == 503
    )
    assert send_webhook(simulator, "water", inquiry(18), secret=WATER_SECRET).status_code == 200
    assert requests.post(f"{base}/_up", timeout=5).json() == {"down": False}
    assert (
        send_webhook(
            simulator, "registry", inquiry(17, agency="registry"), secret=REGISTRY_SECRET
        ).status_code
        == 200
    )


def test_fail_rate_one_answers_500_and_processes_nothing(
    make_simulator: Simulator, fake_daftar: FakeDaftar
) -> None:
    simulator = make_simulator(water={"fail_rate": 1})

    responses = [
        send_webhook(simulator, "water", inquiry(19), secret=WATER_SECRET, delivery="d-19") for _ in range(3)
    ]

    assert [r.status_code for r in responses] == [500, 500, 500]
    time.sleep(0.1)
    assert fake_daftar.attempts == []
    assert simulator.stats()["water"] == ZERO  # a failed delivery is neither received nor a duplicate


def test_unknown_agency_and_path(make_simulator: Simulator) -> None:
    simulator = make_simulator()

    response = requests.post(f"{simulator.base_url}/agencies/gas/webhook", data=b"{}", timeout=5)
    assert response.status_code == 404
    assert requests.get(f"{simulator.base_url}/nowhere", timeout=5).status_code == 404
    with pytest.raises(KeyError):
        simulator.webhook_url("gas")


# --- answering Daftar -------------------------------------------------------------------------


def test_the_answer_is_retried_when_daftar_answers_503(
    make_simulator: Simulator, fake_daftar: FakeDaftar
) -> None:
    fake_daftar.script = [503, 502]
    simulator = make_simulator()

    send_webhook(simulator, "water", inquiry(20), secret=WATER_SECRET)

    assert wait_for(lambda: len(fake_daftar.answers) == 1)
    assert simulator.wait_idle()
    assert fake_daftar.attempts == [20, 20, 20]
    assert simulator.stats()["water"] == ZERO | {"received": 1, "answered": 1}


def test_already_answered_409_counts_as_done(make_simulator: Simulator, fake_daftar: FakeDaftar) -> None:
    fake_daftar.answers.append({"inquiry": 21, "agency": "water", "content_type": "", "payload": {}})
    simulator = make_simulator()

    send_webhook(simulator, "water", inquiry(21), secret=WATER_SECRET)

    assert wait_for(lambda: simulator.stats()["water"]["answered"] == 1)
    assert fake_daftar.attempts == [21]
    assert simulator.stats()["water"]["answer_errors"] == 0


def test_a_refused_answer_is_an_error_and_not_retried(
    make_simulator: Simulator, fake_daftar: FakeDaftar
) -> None:
    simulator = make_simulator(water={"api_key": "agk_revoked_key"})

    send_webhook(simulator, "water", inquiry(22), secret=WATER_SECRET)

    assert wait_for(lambda: simulator.stats()["water"]["answer_errors"] == 1)
    assert simulator.wait_idle()
    assert fake_daftar.attempts == [22]
    assert fake_daftar.answers == []


def test_an_unreachable_daftar_is_retried_then_given_up() -> None:
    with AgencySimulator(
        SimulatorConfig(
            daftar_url="http://127.0.0.1:9",  # discard port: nothing listens
            agencies={"water": AgencyConfig(code="water", webhook_secret=WATER_SECRET, api_key=WATER_KEY)},
            answer_attempts=3,
            retry_backoff_seconds=0.02,
        )
    ) as simulator:
        assert send_webhook(simulator, "water", inquiry(23), secret=WATER_SECRET).status_code == 200
        assert simulator.wait_idle(timeout=5)
        assert simulator.stats()["water"] == ZERO | {"received": 1, "answer_errors": 1}


# --- control endpoints ------------------------------------------------------------------------


def test_healthz_and_stats_over_http(make_simulator: Simulator, fake_daftar: FakeDaftar) -> None:
    simulator = make_simulator()
    send_webhook(simulator, "water", inquiry(24), secret=WATER_SECRET)
    assert wait_for(lambda: len(fake_daftar.answers) == 1)
    assert simulator.wait_idle()

    assert requests.get(f"{simulator.base_url}/healthz", timeout=5).json() == {"status": "ok"}
    stats = requests.get(f"{simulator.base_url}/_stats", timeout=5).json()
    assert stats == {"water": ZERO | {"received": 1, "answered": 1}, "registry": ZERO}
    assert requests.post(f"{simulator.base_url}/_down", json={"seconds": -1}, timeout=5).status_code == 400
    assert requests.post(f"{simulator.base_url}/_down", json={"agency": "gas"}, timeout=5).status_code == 404
    assert requests.post(f"{simulator.base_url}/_down", data=b"[1]", timeout=5).status_code == 400


# --- data from a schema -----------------------------------------------------------------------


def test_data_from_schema_fills_every_property() -> None:
    schema = {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["clear", "violation"]},
            "fine": {"type": "number", "exclusiveMinimum": 0},
            "count": {"type": ["integer", "null"], "minimum": 3},
            "ok": {"type": "boolean"},
            "on": {"type": "string", "format": "jalali_date"},
            "code": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[0-9]+$"},
            "short": {"type": "string", "maxLength": 3},
            "long": {"type": "string", "minLength": 40},
            "branches": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "object", "properties": {"n": {"type": "integer"}}},
            },
            "kind": {"const": "water"},
            "level": {"type": "integer", "default": 2},
            "owner": {"type": "string", "format": "national_code"},
            "iban": {"type": "string", "format": "sheba"},
        },
    }

    data = data_from_schema(schema, today=lambda: "1405/03/14")

    assert list(Draft202012Validator(schema).iter_errors(data)) == []
    assert data["status"] == "clear"
    assert data["count"] == 3
    assert data["ok"] is True
    assert data["on"] == "1405/03/14"
    assert data["branches"] == [{"n": 0}]
    assert data["kind"] == "water"
    assert data["level"] == 2
    assert data["owner"] == "0012345679"
    assert data["iban"].startswith("IR")
    assert any("\u0600" <= ch <= "\u06ff" for ch in data["short"])


CATALOG = Path(__file__).resolve().parents[4] / "catalog" / "agencies.yaml"


def _catalog_answer_schemas() -> list[tuple[str, dict[str, Any]]]:
    if not CATALOG.exists():
        return []
    agencies = yaml.safe_load(CATALOG.read_text(encoding="utf-8")) or []
    return [
        (f"{agency['code']}.{kind['code']}", kind["answer_schema"])
        for agency in agencies
        for kind in agency.get("types") or []
        if kind.get("answer_schema")
    ]


@pytest.mark.skipif(not CATALOG.exists(), reason="no catalog/agencies.yaml")
def test_data_for_every_answer_schema_in_the_catalogue_is_valid() -> None:
    schemas = _catalog_answer_schemas()
    assert schemas
    for name, schema in schemas:
        data = data_from_schema(schema)
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(data)]
        assert errors == [], name
        assert set(data) == set(schema["properties"]), name
        if settings.configured:  # under pytest-django: the very check Daftar's answer API makes
            from daftar.catalog.intake import intake_validate

            intake_validate(schema, data)


def test_jalali_today_is_todays_date_in_tehran() -> None:
    assert jalali_today() == _today_jalali()


# --- configuration and command line -----------------------------------------------------------

EXAMPLE_CONFIG: dict[str, Any] = {
    "daftar_url": "http://127.0.0.1:8000",
    "seed": 1,
    "agencies": {
        "water": {
            "webhook_secret": WATER_SECRET,
            "api_key": WATER_KEY,
            "delay_seconds": 5,
            "fail_rate": 0.1,
            "outcome": {"connection_status": "positive", "*": "conditional"},
            "answer_rules": {"debt": {"debt_rials": 0}},
        },
        "registry": {"webhook_secret": REGISTRY_SECRET, "api_key": "agk_reg_x", "outcome": "negative"},
    },
}


def test_the_example_config_is_valid() -> None:
    config = SimulatorConfig.from_file(Path(agencies_module.__file__).with_name("example.json"))

    assert set(config.agencies) == {"water", "electricity", "gas", "telecom"}
    assert config.agencies["gas"].outcome_for("disconnection") == "negative"


def test_config_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "simulator.json"
    path.write_text(json.dumps(EXAMPLE_CONFIG), encoding="utf-8")

    config = SimulatorConfig.from_file(path)

    assert config.daftar_url == "http://127.0.0.1:8000"
    water = config.agencies["water"]
    assert (water.delay_seconds, water.fail_rate) == (5, 0.1)
    assert water.outcome_for("connection_status") == "positive"
    assert water.outcome_for("anything_else") == "conditional"
    assert config.agencies["registry"].outcome_for("x") == "negative"
    assert config.agencies["registry"].delay_seconds == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"daftar_url": "localhost:8000"}, "daftar_url"),
        ({"agencies": {}}, "no agencies"),
        ({"colour": "blue"}, "unknown settings"),
        ({"agencies": {"water": {"webhook_secret": "s", "api_key": "k", "fail_rate": 2}}}, "fail_rate"),
        ({"agencies": {"water": {"webhook_secret": "s", "api_key": "k", "outcome": "maybe"}}}, "outcome"),
        (
            {"agencies": {"water": {"webhook_secret": "s", "api_key": "k", "delay_seconds": -1}}},
            "delay_seconds",
        ),
        ({"agencies": {"water": {"api_key": "k"}}}, "webhook_secret"),
        ({"agencies": {"water": {"webhook_secret": "s", "api_key": "k", "retries": 3}}}, "unknown settings"),
    ],
)
def test_bad_config_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimulatorConfig.from_dict(EXAMPLE_CONFIG | change)


def test_the_command_line_serves_until_terminated(tmp_path: Path) -> None:
    path = tmp_path / "simulator.json"
    path.write_text(json.dumps(EXAMPLE_CONFIG), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "daftar.simulators.agencies", "--config", str(path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("listening on http://127.0.0.1:"), first
        base = first.removeprefix("listening on ")
        assert process.stdout.readline().strip() == f"water: {base}/agencies/water/webhook"
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=5)
    assert process.returncode == 0, err
    assert "agency simulator stopped" in err
