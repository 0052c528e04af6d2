"""Fixtures: a fake Daftar agency API and agency simulators pointed at it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from daftar.simulators.agencies import AgencyConfig, AgencySimulator, SimulatorConfig

from .fakes import REGISTRY_KEY, REGISTRY_SECRET, WATER_KEY, WATER_SECRET, FakeDaftar, fake_handler


@pytest.fixture
def fake_daftar() -> Iterator[FakeDaftar]:
    fake = FakeDaftar(keys={WATER_KEY: "water", REGISTRY_KEY: "registry"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake_handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def make_simulator(fake_daftar: FakeDaftar) -> Iterator[Callable[..., AgencySimulator]]:
    """``make_simulator(water={...overrides}, registry={...})`` → a started simulator (stopped afterwards)."""
    started: list[AgencySimulator] = []

    def make(
        *, water: dict[str, Any] | None = None, registry: dict[str, Any] | None = None
    ) -> AgencySimulator:
        config = SimulatorConfig(
            daftar_url=fake_daftar.url,
            agencies={
                "water": AgencyConfig(
                    **{"code": "water", "webhook_secret": WATER_SECRET, "api_key": WATER_KEY, **(water or {})}
                ),
                "registry": AgencyConfig(
                    **{
                        "code": "registry",
                        "webhook_secret": REGISTRY_SECRET,
                        "api_key": REGISTRY_KEY,
                        **(registry or {}),
                    }
                ),
            },
            retry_backoff_seconds=0.05,
            seed=1405,
        )
        simulator = AgencySimulator(config)
        simulator.start()
        started.append(simulator)
        return simulator

    yield make
    for simulator in started:
        simulator.stop()
