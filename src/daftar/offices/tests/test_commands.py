"""The holidays command loads the library's holidays once and refuses Gregorian years."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from daftar.offices.models import Holiday

pytestmark = pytest.mark.django_db


def test_holidays_command_loads_nowruz_and_is_idempotent() -> None:
    call_command("holidays_sync", "1405", stdout=StringIO())
    count = Holiday.objects.count()
    assert Holiday.objects.filter(date=dt.date(2026, 3, 21), city=None).exists()
    out = StringIO()
    call_command("holidays_sync", "1405", stdout=out)
    assert Holiday.objects.count() == count
    assert out.getvalue().startswith("0 holiday(s)")


def test_holidays_command_refuses_a_gregorian_year() -> None:
    with pytest.raises(CommandError):
        call_command("holidays_sync", "2026", stdout=StringIO())
    assert not Holiday.objects.exists()
