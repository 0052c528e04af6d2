"""What complaints registers with the engine: routing each new complaint or citizen report by the
city's routing rules, inside the filing transaction (see ``routing.py`` for which services)."""

from __future__ import annotations

from typing import Any

from daftar.accounts.models import User
from daftar.cases.models import Case
from daftar.cases.services import case_filed

from .routing import case_route


def _route_new_case(sender: type[Case], *, case: Case, actor: User | None, **_kwargs: Any) -> None:
    case_route(case=case)  # a no-op for services routing does not apply to


case_filed.connect(_route_new_case, dispatch_uid="complaints.route")
