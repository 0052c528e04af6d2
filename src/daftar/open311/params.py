"""Reading GeoReport v2 parameters: the POSTed form of a request and the filters of GET requests.

"Optional" in the spec means an empty parameter is the same as an absent one. Values that cannot
be read raise InvalidValue naming the parameter, answered as 400 with the spec's error list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from daftar.core.errors import InvalidValue
from daftar.core.text import to_latin_digits

from .selectors import MAX_IDS, MAX_RESULTS, RequestFilters
from .services import Reporter, Submission

# attribute[CODE]=v, and for a multivaluelist attribute[CODE][]=v1&attribute[CODE][]=v2 (some
# clients number the brackets: attribute[CODE][0]).
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\d*\])?$")
_SIX_PLACES = Decimal("0.000001")
STATUSES = frozenset({"open", "closed"})


def _one(data: QueryDict, name: str) -> str:
    return (data.get(name) or "").strip()


def _listed(data: QueryDict, name: str) -> list[str] | None:
    """A comma list that may also be declared several times; None when absent or empty."""
    items = [item.strip() for value in data.getlist(name) for item in value.split(",")]
    items = [item for item in items if item]
    return items or None


def _coordinate(data: QueryDict, name: str) -> Decimal | None:
    text = to_latin_digits(_one(data, name))
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise InvalidValue(
            "open311.coordinate",
            _("lat and long are decimal degrees (WGS84)."),
            fields={name: [_("Not a number.")]},
        )
    return value.quantize(_SIX_PLACES, rounding=ROUND_HALF_EVEN)


def submission_parse(
    data: QueryDict, *, files: Mapping[str, object] | None = None, idempotency_key: str | None = None
) -> Submission:
    """The parameters of POST requests (form-encoded; multipart is read the same way)."""
    if files:
        raise InvalidValue(
            "open311.media_upload",
            _("Files are not taken here; put the media online and send its media_url."),
            fields={"media": [_("Send media_url instead.")]},
        )
    attributes: dict[str, str | list[str]] = {}
    for key, values in data.lists():
        match = _ATTRIBUTE.match(key)
        if match is None:
            continue
        code = match.group(1).strip()
        if match.group(2) is not None:  # a multivaluelist: every value given, in order
            existing = attributes.get(code)
            listed = existing if isinstance(existing, list) else ([existing] if existing else [])
            attributes[code] = [*listed, *values]
        elif code in attributes and isinstance(attributes[code], list):
            attributes[code] = [*attributes[code], *values]
        else:
            attributes[code] = values[0] if len(values) == 1 else list(values)
    return Submission(
        attributes=attributes,
        description=data.get("description") or "",
        latitude=_coordinate(data, "lat"),
        longitude=_coordinate(data, "long"),
        address_string=data.get("address_string") or "",
        address_id=_one(data, "address_id"),
        media_url=_one(data, "media_url"),
        reporter=Reporter(
            email=_one(data, "email"),
            device_id=_one(data, "device_id"),
            account_id=_one(data, "account_id"),
            first_name=_one(data, "first_name"),
            last_name=_one(data, "last_name"),
            phone=_one(data, "phone"),
        ),
        idempotency_key=idempotency_key,
    )


def _moment(data: QueryDict, name: str) -> datetime | None:
    """A w3 date-time with its zone (Z or ±HH:MM), as the spec requires."""
    text = _one(data, name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in text:
        raise InvalidValue(
            "open311.date",
            _("%(name)s must be an ISO 8601 date and time with its time zone, e.g. 2010-01-01T00:00:00Z."),
            {"name": name},
        )
    return moment


def _positive(data: QueryDict, name: str, *, default: int, maximum: int) -> int:
    text = to_latin_digits(_one(data, name))
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise InvalidValue(
            "open311.paging",
            _("%(name)s must be a whole number from 1 to %(maximum)s."),
            {"name": name, "maximum": maximum},
        )
    return int(text)


def filters_parse(data: QueryDict) -> RequestFilters:
    """The filters of GET requests; service_request_id, when given, overrides all the others."""
    page = _positive(data, "page", default=1, maximum=1_000_000)
    page_size = _positive(data, "page_size", default=MAX_RESULTS, maximum=MAX_RESULTS)
    ids = _listed(data, "service_request_id")
    if ids is not None:
        if len(ids) > MAX_IDS:
            raise InvalidValue(
                "open311.too_many_ids",
                _("At most %(count)s service_request_id values at once."),
                {"count": MAX_IDS},
            )
        return RequestFilters(ids=ids, page=page, page_size=page_size)
    statuses = _listed(data, "status")
    if statuses is not None:
        statuses = [status.lower() for status in statuses]
        if not set(statuses) <= STATUSES:
            raise InvalidValue("open311.status", _("status is open or closed (or both, comma separated)."))
    return RequestFilters(
        service_codes=_listed(data, "service_code"),
        start=_moment(data, "start_date"),
        end=_moment(data, "end_date"),
        statuses=frozenset(statuses) if statuses is not None else None,
        page=page,
        page_size=page_size,
    )


def extensions_wanted(data: QueryDict) -> bool:
    return _one(data, "extensions").lower() == "true"
