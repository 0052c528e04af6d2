"""The demo's outside world: push agencies wired to the local agency simulator, and a clerk.

The simulator (``python -m daftar.simulators.agencies``, started by ``make run``) plays the water,
electricity, gas and telecom companies. Its configuration — each agency's webhook secret and API
key — is written to ``var/simulator.json``, never to the repository. The demo clerk ("agency")
answers for the municipality's street-line unit on the web page.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings

from daftar.accounts.models import User
from daftar.inquiries.models import Agency, AgencyChannel, AgencyKey
from daftar.inquiries.services import agency_connect, agency_key_create, agency_key_revoke, agency_member_add

SIMULATOR_PORT = int(os.environ.get("DAFTAR_SIMULATOR_PORT", "8099"))
SIMULATED = ("water", "electricity", "gas", "telecom")
KEY_NAME = "agency simulator (demo)"
CLERK_AGENCY = "street_line"


def simulator_config_path() -> Path:
    return Path(settings.VAR_DIR) / "simulator.json"


def demo_agencies_load(*, clerk: User) -> Path:
    """Connect the simulated agencies and write the simulator's configuration; idempotent."""
    agency_member_add(agency=Agency.objects.get(code=CLERK_AGENCY), user=clerk)
    base = f"http://127.0.0.1:{SIMULATOR_PORT}"
    agencies: dict[str, dict[str, object]] = {}
    for code in SIMULATED:
        agency = Agency.objects.get(code=code)
        if agency.channel != AgencyChannel.PUSH or not agency.webhook_url.startswith(base):
            agency = agency_connect(
                agency=agency, channel=AgencyChannel.PUSH, webhook_url=f"{base}/agencies/{code}/webhook"
            )
        # A key's secret is shown only once, so each load makes a fresh one and retires the last.
        for old in AgencyKey.objects.filter(agency=agency, name=KEY_NAME, revoked_at__isnull=True):
            agency_key_revoke(key=old)
        secret = agency_key_create(agency=agency, name=KEY_NAME).secret
        agencies[code] = {"webhook_secret": agency.webhook_secret, "api_key": secret, "delay_seconds": 8}
    path = simulator_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {"daftar_url": settings.DAFTAR_PUBLIC_BASE_URL, "agencies": agencies}
    path.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    path.chmod(0o600)
    return path
