"""Writes for the service catalogue."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.core.errors import Conflict, InvalidValue
from daftar.core.jalali import local_today, parse_jalali_date
from daftar.core.registry import Registry
from daftar.workflow.definition import DefinitionError, workflow_compile
from daftar.workflow.registry import guards

from .intake import schema_problems, with_field_order
from .models import Channel, ServiceCategory, ServiceType, ServiceVersion, VersionStatus
from .selectors import version_memo

# Other apps' data files in the catalogue directory (e.g. "agencies.yaml" from inquiries), loaded
# by catalog_load before the services that refer to them. Registered from the apps' ready().
data_loaders: Registry[Callable[[Path], int]] = Registry("catalogue data loader")

SERVICE_CODE = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")
DOCUMENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
MAX_DOCUMENT_MB = 20
LOCATION_MODES = ("none", "optional", "required", "point_or_address")
LINK_KINDS = ("property", "business", "vehicle", "office")
OUTPUT_KINDS = ("certificate", "permit", "licence", "receipt", "answer")

CATEGORY_FIELDS = ("name", "description", "examples")
# Entry keys added after the first services were published (see the content hash).
LATER_KEYS = ("filing_guards", "parameters", "open311")


def _bilingual(entry: dict[str, Any], field: str, code: str) -> tuple[Any, Any]:
    value = entry.get(field) or {}
    if not isinstance(value, dict) or "fa" not in value:
        raise InvalidValue(
            "catalog.category_field",
            "category %(code)s: %(field)s needs a Persian (fa) value",
            {"code": code, "field": field},
        )
    return value["fa"], value.get("en", "")


@transaction.atomic
def categories_load(*, path: Path) -> int:
    """Create or update the service categories from a data file; returns how many changed.

    Idempotent: loading the same file twice changes nothing the second time.
    """
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    changed = 0
    for position, entry in enumerate(entries, start=1):
        code = str(entry.get("code", "")).strip()
        if not code:
            raise InvalidValue("catalog.category_code", "every category needs a code")
        values: dict[str, Any] = {
            "position": position,
            "icon": entry.get("icon", ""),
            "department": entry.get("department", ""),
        }
        for field in CATEGORY_FIELDS:
            values[f"{field}_fa"], values[f"{field}_en"] = _bilingual(entry, field, code)
        category = ServiceCategory.objects.filter(code=code).first()
        if category is None:
            ServiceCategory.objects.create(code=code, **values)
            changed += 1
        elif any(getattr(category, name) != value for name, value in values.items()):
            ServiceCategory.objects.filter(pk=category.pk).update(**values)
            changed += 1
    if changed:
        transaction.on_commit(version_memo.clear)  # remembered versions carry their category
    return changed


# --- service types and versions --------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses a mapping repeating a key (YAML would keep the last silently)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node, deep=deep))


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def yaml_load_strict(text: str, *, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise InvalidValue(
            "catalog.yaml", "%(source)s: %(error)s", {"source": source, "error": str(exc)}
        ) from None


def _problems_error(label: str, problems: list[str]) -> InvalidValue:
    return InvalidValue(
        "catalog.invalid_service",
        "%(label)s: %(problems)s",
        {"label": label, "problems": "; ".join(problems)},
    )


def _names(entry: Mapping[str, Any], key: str) -> tuple[str, str]:
    value = entry.get(key) or {}
    if isinstance(value, str):
        return value, ""
    return str(value.get("fa") or ""), str(value.get("en") or "")


def _document_problems(documents: Any) -> list[str]:
    if not isinstance(documents, list):
        return ["documents must be a list"]
    problems, codes = [], set()
    for index, doc in enumerate(documents, start=1):
        if not isinstance(doc, Mapping) or not doc.get("code"):
            problems.append(f"document {index} needs a code")
            continue
        code = doc["code"]
        if code in codes:
            problems.append(f"document {code!r} is listed twice")
        codes.add(code)
        if not _names(doc, "name")[0]:
            problems.append(f"document {code!r} has no Persian name")
        types = doc.get("types") or []
        if not types or any(t not in DOCUMENT_TYPES for t in types):
            problems.append(f"document {code!r}: types must be among {', '.join(DOCUMENT_TYPES)}")
        max_mb = doc.get("max_mb", 10)
        if not isinstance(max_mb, int | float) or not 0 < max_mb <= MAX_DOCUMENT_MB:
            problems.append(f"document {code!r}: max_mb must be between 0 and {MAX_DOCUMENT_MB}")
    return problems


def _normalised_documents(documents: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for doc in documents:
        fa, en = _names(doc, "name")
        result.append(
            {
                "code": str(doc["code"]),
                "name": {"fa": fa, "en": en},
                "types": list(doc["types"]),
                "max_mb": doc.get("max_mb", 10),
                "required": bool(doc.get("required", True)),
                "help": str(doc.get("help") or ""),
            }
        )
    return result


def _open311_problems(spec: Any) -> list[str]:
    """An Open311 listing: ``{group: text, keywords: [text], defer: bool}``, all optional."""
    if not isinstance(spec, Mapping):
        return ["open311 must be a mapping (group, keywords, defer)"]
    problems = [f"open311: unknown key {key!r}" for key in spec if key not in ("group", "keywords", "defer")]
    if "group" in spec and not isinstance(spec["group"], str):
        problems.append("open311.group must be text")
    keywords = spec.get("keywords", [])
    if not isinstance(keywords, list) or any(not isinstance(k, str) for k in keywords):
        problems.append("open311.keywords must be a list of words")
    if not isinstance(spec.get("defer", False), bool):
        problems.append("open311.defer must be true or false")
    return problems


def _reopen_problems(spec: Any, workflow: Mapping[str, Any]) -> list[str]:
    """``parameters.reopen: {days: N, to: state}``: a resolved case may be reopened for N days."""
    if spec is None:
        return []
    days, target = spec.get("days"), spec.get("to")
    problems = []
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
        problems.append("parameters.reopen.days must be a whole number of days from 1 to 365")
    state = (workflow.get("states") or {}).get(target)
    if state is None or state.get("terminal"):
        problems.append(f"parameters.reopen.to must be an open state of the workflow, not {target!r}")
    return problems


def service_entry_compile(
    entry: Mapping[str, Any], *, workflows: Mapping[str, Any], categories: Mapping[str, ServiceCategory]
) -> dict[str, Any]:
    """Check one catalogue entry and return the field values of its ServiceVersion.

    Every problem is reported at once, each naming the service, so a catalogue author can fix a
    file in one pass. Raises InvalidValue("catalog.invalid_service").
    """
    code = str(entry.get("code") or "")
    label = f"service {code or '?'}"
    problems: list[str] = []
    if not code or not SERVICE_CODE.fullmatch(code):
        problems.append("code must look like family.snake_case_name")
    number = entry.get("version")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        problems.append("version must be a whole number from 1")
    category = categories.get(str(entry.get("category") or ""))
    if category is None:
        problems.append(f"unknown category {entry.get('category')!r}")
    name_fa, name_en = _names(entry, "name")
    if not name_fa:
        problems.append("name needs a Persian (fa) value")
    description_fa, description_en = _names(entry, "description")
    channels = list(entry.get("channels") or [])
    if not channels or any(channel not in Channel.values for channel in channels):
        problems.append(f"channels must be a non-empty subset of {', '.join(Channel.values)}")
    sla = entry.get("sla_working_days")
    if not isinstance(sla, int) or isinstance(sla, bool) or not 1 <= sla <= 365:
        problems.append("sla_working_days must be a whole number of days from 1 to 365")
    location = str(entry.get("location", "none"))
    if location not in LOCATION_MODES:
        problems.append(f"location must be one of {', '.join(LOCATION_MODES)}")
    schema = entry.get("intake_schema")
    problems += schema_problems(schema)
    properties = (schema or {}).get("properties") or {} if isinstance(schema, Mapping) else {}
    links = dict(entry.get("links") or {})
    for kind, field in links.items():
        if kind not in LINK_KINDS:
            problems.append(f"links: unknown record kind {kind!r}")
        if field not in properties:
            problems.append(f"links: {kind} names unknown field {field!r}")
    documents = entry.get("documents") or []
    problems += _document_problems(documents)
    output = dict(entry.get("output") or {})
    if output:
        if output.get("kind") not in OUTPUT_KINDS:
            problems.append(f"output kind must be one of {', '.join(OUTPUT_KINDS)}")
        for field in output.get("fields") or []:
            if field not in properties:
                problems.append(f"output prints unknown field {field!r}")
        title_fa, title_en = _names(output, "title")
        output["title"] = {"fa": title_fa or name_fa, "en": title_en or name_en}
    inquiries = list(entry.get("inquiries") or [])
    for inquiry in inquiries:
        if not isinstance(inquiry, Mapping) or not inquiry.get("agency") or not inquiry.get("type"):
            problems.append("every inquiry needs an agency and a type")
    filing_guards = entry.get("filing_guards") or []
    if not isinstance(filing_guards, list) or any(not isinstance(name, str) for name in filing_guards):
        problems.append("filing_guards must be a list of guard names")
        filing_guards = []
    problems += [f"filing_guards: unknown guard {name!r}" for name in filing_guards if name not in guards]
    parameters = entry.get("parameters") or {}
    if not isinstance(parameters, Mapping) or any(not isinstance(v, Mapping) for v in parameters.values()):
        problems.append("parameters must map rule names to mappings of values")
        parameters = {}
    open311 = entry.get("open311") or {}
    problems += _open311_problems(open311)
    raw_workflow = entry.get("workflow")
    workflow_name = ""
    if isinstance(raw_workflow, str):
        workflow_name = raw_workflow
        raw_workflow = workflows.get(raw_workflow)
        if raw_workflow is None:
            problems.append(f"unknown workflow {workflow_name!r}")
    workflow: dict[str, Any] | None = None
    if raw_workflow is not None:
        try:
            workflow = workflow_compile(raw_workflow, label=f"workflow {workflow_name or '(inline)'}")
        except DefinitionError as exc:
            problems += [f"{exc.label}: {problem}" for problem in exc.problems]
    if workflow is not None:
        problems += _reopen_problems(parameters.get("reopen"), workflow)
    if problems:
        raise _problems_error(label, problems)
    assert category is not None
    assert workflow is not None
    assert isinstance(schema, Mapping)
    values: dict[str, Any] = {
        "name_fa": name_fa,
        "name_en": name_en,
        "description_fa": description_fa,
        "description_en": description_en,
        "department": str(entry.get("department") or category.department),
        "channels": channels,
        "sla_working_days": sla,
        "location": location,
        "links": links,
        "intake_schema": with_field_order(schema),
        "documents": _normalised_documents(documents),
        "fees": list(entry.get("fees") or []),
        "inquiries": [dict(i) for i in inquiries],
        "output": output,
        "filing_guards": list(filing_guards),
        "parameters": {str(k): dict(v) for k, v in parameters.items()},
        "open311": dict(open311) if isinstance(open311, Mapping) else {},
        "workflow": workflow,
        "workflow_name": workflow_name,
        "workflow_source": dict(raw_workflow or {}),
    }
    if not values["department"]:
        raise _problems_error(label, ["no department: give one or set the category's department"])
    # Keys the catalogue gained after services were first published count only when used, so a
    # published version that does not use them keeps its hash (and stays loadable) after an upgrade.
    hashed = {key: value for key, value in values.items() if value or key not in LATER_KEYS}
    values["content_hash"] = hashlib.sha256(
        json.dumps(hashed, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    return {"code": code, "number": number, "category": category, "values": values}


def _overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


@transaction.atomic
def service_version_publish(*, version: ServiceVersion, valid_from: date | None = None) -> ServiceVersion:
    """Publish a draft from ``valid_from``; the open-ended version before it closes the day before.

    Published versions of one service never overlap in time.
    """
    ServiceType.objects.select_for_update().get(pk=version.service_type_id)  # serialise publishers
    version.refresh_from_db()
    if version.status == VersionStatus.PUBLISHED:
        raise Conflict("catalog.already_published", _("This version is already published."))
    others = list(
        ServiceVersion.objects.filter(service_type_id=version.service_type_id, status=VersionStatus.PUBLISHED)
        .exclude(pk=version.pk)
        .order_by("valid_from")
    )
    start = valid_from or version.valid_from or local_today()
    if valid_from is None and others and others[-1].valid_from >= start:
        # No date given and the current version began today (or later): the new one starts the
        # day after, so every day has exactly one version in force.
        start = others[-1].valid_from + timedelta(days=1)
    for other in others:
        if other.valid_to is None and other.valid_from < start:
            other.valid_to = start - timedelta(days=1)
            other.save(update_fields=["valid_to"])
        if _overlaps(start, version.valid_to, other.valid_from, other.valid_to):
            raise Conflict(
                "catalog.overlap",
                _("Version %(number)s would overlap published version %(other)s."),
                {"number": version.number, "other": other.number},
            )
    version.status = VersionStatus.PUBLISHED
    version.valid_from = start
    version.published_at = timezone.now()
    version.save(update_fields=["status", "valid_from", "published_at"])
    return version


def service_version_load(
    *, compiled: Mapping[str, Any], status: str = VersionStatus.PUBLISHED, valid_from: date | None = None
) -> tuple[ServiceVersion, bool]:
    """Create or update one version from a compiled catalogue entry; returns (version, changed).

    Idempotent. A published version is immutable: a changed entry must carry a new version number.
    """
    service_type, _created = ServiceType.objects.get_or_create(
        code=compiled["code"], defaults={"category": compiled["category"]}
    )
    if service_type.category_id != compiled["category"].pk:
        service_type.category = compiled["category"]
        service_type.save(update_fields=["category"])
    values = compiled["values"]
    version = ServiceVersion.objects.filter(service_type=service_type, number=compiled["number"]).first()
    if version is not None and version.status == VersionStatus.PUBLISHED:
        if version.content_hash != values["content_hash"]:
            raise Conflict(
                "catalog.published_immutable",
                _("%(code)s version %(number)s is published and cannot change; give it a new number."),
                {"code": service_type.code, "number": version.number},
            )
        return version, False
    if (
        version is not None
        and version.content_hash == values["content_hash"]
        and status == VersionStatus.DRAFT
    ):
        return version, False
    if version is None:
        version = ServiceVersion(service_type=service_type, number=compiled["number"])
    for field, value in values.items():
        setattr(version, field, value)
    version.status = VersionStatus.DRAFT
    version.valid_from = valid_from or local_today()
    version.save()
    if status == VersionStatus.PUBLISHED:
        service_version_publish(version=version, valid_from=valid_from)
    return version, True


@dataclass
class CatalogReport:
    services: int = 0
    changed: int = 0
    files: list[str] = dataclasses.field(default_factory=list)


@transaction.atomic
def catalog_load(*, directory: Path, check_only: bool = False) -> CatalogReport:
    """Load categories, workflows and every family file under ``directory`` in one transaction.

    Idempotent. With ``check_only`` everything is validated and nothing is kept.
    """
    categories_load(path=directory / "categories.yaml")
    categories = {category.code: category for category in ServiceCategory.objects.all()}
    for file_name in data_loaders:
        loader_path = directory / file_name
        if loader_path.exists():
            data_loaders.get(file_name)(loader_path)
    workflows_path = directory / "workflows.yaml"
    workflows = yaml_load_strict(workflows_path.read_text(encoding="utf-8"), source=workflows_path.name) or {}
    report, seen, problems = CatalogReport(), set(), []
    for path in sorted(directory.glob("*.yaml")):
        if path.name in ("categories.yaml", "workflows.yaml") or path.name in data_loaders:
            continue
        report.files.append(path.name)
        entries = yaml_load_strict(path.read_text(encoding="utf-8"), source=path.name) or []
        for entry in entries:
            try:
                compiled = service_entry_compile(entry, workflows=workflows, categories=categories)
                if compiled["code"] in seen:
                    raise _problems_error(f"service {compiled['code']}", ["defined twice"])
                seen.add(compiled["code"])
                status = str(entry.get("status", VersionStatus.PUBLISHED))
                valid_from = parse_jalali_date(str(entry["valid_from"])) if entry.get("valid_from") else None
                _version, changed = service_version_load(
                    compiled=compiled, status=status, valid_from=valid_from
                )
            except (InvalidValue, Conflict) as exc:
                problems.append(f"{path.name}: {exc}")
                continue
            report.services += 1
            report.changed += int(changed)
    if problems:
        raise InvalidValue("catalog.invalid", "%(problems)s", {"problems": "\n".join(problems)})
    if check_only:
        transaction.set_rollback(True)
    return report


# --- editing in the admin --------------------------------------------------------------------------


def service_version_entry(version: ServiceVersion) -> dict[str, Any]:
    """A version written back as a catalogue entry (what the admin edits and re-validates)."""
    return {
        "code": version.service_type.code,
        "version": version.number,
        "category": version.service_type.category.code,
        "department": version.department,
        "name": {"fa": version.name_fa, "en": version.name_en},
        "description": {"fa": version.description_fa, "en": version.description_en},
        "channels": list(version.channels),
        "sla_working_days": version.sla_working_days,
        "location": version.location,
        "links": dict(version.links),
        "intake_schema": dict(version.intake_schema),
        "documents": list(version.documents),
        "fees": list(version.fees),
        "inquiries": list(version.inquiries),
        "output": dict(version.output),
        "filing_guards": list(version.filing_guards),
        "parameters": dict(version.parameters),
        "open311": dict(version.open311),
        "workflow": dict(version.workflow_source),
    }


@transaction.atomic
def service_version_draft_update(*, version: ServiceVersion, entry: Mapping[str, Any]) -> ServiceVersion:
    """Replace a draft's content after the same validation the loader applies."""
    if version.status == VersionStatus.PUBLISHED:
        raise Conflict("catalog.published_immutable_admin", _("A published version cannot be edited."))
    categories = {category.code: category for category in ServiceCategory.objects.all()}
    compiled = service_entry_compile(
        {**entry, "code": version.service_type.code, "version": version.number},
        workflows={},
        categories=categories,
    )
    for name, value in compiled["values"].items():
        setattr(version, name, value)
    version.save()
    return version


@transaction.atomic
def service_version_new_draft(*, version: ServiceVersion) -> ServiceVersion:
    """Start the next version of a service as a draft copy of ``version``."""
    ServiceType.objects.select_for_update().get(pk=version.service_type_id)
    last = ServiceVersion.objects.filter(service_type_id=version.service_type_id).order_by("-number").first()
    number = (last.number if last else 0) + 1
    draft = ServiceVersion(
        service_type_id=version.service_type_id,
        number=number,
        status=VersionStatus.DRAFT,
        valid_from=local_today(),
    )
    for name in (
        "name_fa",
        "name_en",
        "description_fa",
        "description_en",
        "department",
        "channels",
        "sla_working_days",
        "location",
        "links",
        "intake_schema",
        "documents",
        "fees",
        "inquiries",
        "output",
        "filing_guards",
        "parameters",
        "open311",
        "workflow",
        "workflow_name",
        "workflow_source",
        "content_hash",
    ):
        setattr(draft, name, getattr(version, name))
    draft.save()
    return draft
