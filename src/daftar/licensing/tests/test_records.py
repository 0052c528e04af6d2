"""Licences granted before Daftar, registered from the city's records."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from daftar.accounts.models import Person
from daftar.core.jalali import local_today
from daftar.licensing.models import OfficeLicence
from daftar.licensing.selectors import register_search

pytestmark = pytest.mark.django_db


def test_existing_licences_are_imported_and_bad_lines_reported_with_their_reason(
    office: Any, tmp_path: Path
) -> None:
    Person.objects.create(national_code="0012345679", first_name="سارا", last_name="احمدی")
    path = tmp_path / "licences.csv"
    path.write_text(
        "\ufeffoffice_code,licence_number,holder_national_code,valid_from,valid_until\n"
        "1102,teh-1401-0042,0012345679,1401/05/01,1406/04/31\n"
        "9999,TEH-1401-0043,0012345679,1401/05/01,1406/04/31\n"
        "1102,TEH-1401-0044,0099999999,1401/05/01,1406/04/31\n",
        encoding="utf-8",
    )
    out, err = StringIO(), StringIO()
    call_command("licences_import", str(path), "--city", "tehran", stdout=out, stderr=err)
    licence = OfficeLicence.objects.get()
    assert (licence.number, licence.office, licence.application, licence.certificate) == (
        "TEH-1401-0042",
        office,
        None,
        None,
    )
    office.refresh_from_db()
    assert office.licence_valid_until == licence.valid_until
    assert "1 licences registered, 2 lines rejected" in out.getvalue()
    assert "line 3:" in err.getvalue()
    assert "line 4:" in err.getvalue()
    [row] = register_search(city=office.city, query="TEH-1401-0042", today=local_today())
    assert row.licence == licence
    assert row.standing == "good"
