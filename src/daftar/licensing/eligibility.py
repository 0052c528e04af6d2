"""The eligibility rules for an office licence (seed 004; docs/licensing.md), one named guard each.

Every rule answers pass, fail (with the exact reason) or pending (not decidable yet: a document not
reviewed, an exam not taken, the premises not visited). Declared answers in the application are
taken at their word until the evidence arrives: a document verified by the officer, a recorded
score, the inspector's measurements, which then decide. Parameters (pass marks, required courses
and equipment, the degree fields) come from the service version's ``parameters``, so a city
changes them in its catalogue and each application keeps the ones it was filed under.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from daftar.cases.models import Case
from daftar.core.i18n import pick
from daftar.documents.models import Document, DocumentStatus
from daftar.documents.selectors import documents_current, requirement_of
from daftar.offices import geo
from daftar.offices.models import Zone
from daftar.workflow.registry import GuardResult

from .models import Assessment, AssessmentKind, BuildingUse, LicenceApplication, SiteVisit

GENERAL, SPECIALISED, PREMISES = "general", "specialised", "premises"
GROUP_LABELS: dict[str, Promise] = {
    GENERAL: _("General conditions"),
    SPECIALISED: _("Specialised conditions"),
    PREMISES: _("Premises conditions"),
}
DEGREE_LEVELS = ("associate", "bachelor", "master", "doctorate")
DEFAULT_DEGREE_FIELDS = ("civil", "architecture", "urban_planning", "law", "it", "management")
DEFAULT_COURSES = ("course_e_city_services", "course_citizen_rights", "course_information_security")
DEFAULT_EQUIPMENT = (
    "has_computers",
    "has_fast_internet",
    "has_printer",
    "has_sign",
    "has_visitor_facilities",
)
DEFAULT_USES = (BuildingUse.COMMERCIAL.value, BuildingUse.ADMINISTRATIVE.value)
DEFAULT_PASS_MARK = Decimal(60)


class RuleContext:
    """What the rules read about one application, loaded once (a handful of queries) for all of them."""

    def __init__(self, case: Case, *, application: LicenceApplication | None = None) -> None:
        self.case = case
        self.data: Mapping[str, Any] = case.data or {}
        self._application = application

    def params(self, rule: str) -> Mapping[str, Any]:
        return (self.case.service_version.parameters or {}).get(rule) or {}

    @cached_property
    def documents(self) -> dict[str, Document]:
        return documents_current(case=self.case) if self.case.pk else {}

    @cached_property
    def application(self) -> LicenceApplication | None:
        if self._application is not None:
            return self._application
        if not self.case.pk:
            return None
        return LicenceApplication.objects.select_related("zone", "call").filter(case_id=self.case.pk).first()

    @cached_property
    def assessments(self) -> dict[str, Assessment]:
        if self.application is None:
            return {}
        return {a.kind: a for a in Assessment.objects.filter(application=self.application)}

    @cached_property
    def site_visit(self) -> SiteVisit | None:
        if self.application is None:
            return None
        return SiteVisit.objects.filter(application=self.application).first()

    def document_result(self, code: str, *, declared_ok: GuardResult) -> GuardResult:
        """A declared condition backed by a document: the officer's review of it decides."""
        if not declared_ok.ok and not declared_ok.pending:
            return declared_ok
        requirement = requirement_of(case=self.case, code=code)
        name = pick(requirement.name_fa, requirement.name_en) if requirement else code
        document = self.documents.get(code)
        if document is None:
            return GuardResult.waiting(_("Awaiting the upload of «%(document)s».") % {"document": name})
        if document.status == DocumentStatus.REJECTED:
            return GuardResult.failed(
                _("«%(document)s» was not accepted: %(reason)s")
                % {"document": name, "reason": document.review_reason or _("no reason given")}
            )
        if document.status != DocumentStatus.VERIFIED:
            return GuardResult.waiting(
                _("Awaiting the officer's review of «%(document)s».") % {"document": name}
            )
        return declared_ok


@dataclass(frozen=True)
class EligibilityRule:
    name: str  # the guard's name in workflow definitions
    group: str
    label: Promise
    check: Callable[[RuleContext], GuardResult]


RULES: dict[str, EligibilityRule] = {}


def rule(
    name: str, group: str, label: Promise
) -> Callable[[Callable[[RuleContext], GuardResult]], Callable[[RuleContext], GuardResult]]:
    def decorator(fn: Callable[[RuleContext], GuardResult]) -> Callable[[RuleContext], GuardResult]:
        RULES[name] = EligibilityRule(name=name, group=group, label=label, check=fn)
        return fn

    return decorator


PASSED = GuardResult.passed()


# --- general conditions --------------------------------------------------------------------------


@rule("applicant_iranian_citizen", GENERAL, _("Iranian citizenship"))
def iranian_citizen(ctx: RuleContext) -> GuardResult:
    if ctx.data.get("nationality") != "iranian" or not ctx.case.applicant.is_iranian:
        return GuardResult.failed(
            _("Only citizens of the Islamic Republic of Iran may hold an office licence.")
        )
    return PASSED


@rule("applicant_no_criminal_record", GENERAL, _("No effective criminal record"))
def no_criminal_record(ctx: RuleContext) -> GuardResult:
    return ctx.document_result("no_criminal_record", declared_ok=PASSED)


@rule("applicant_not_addicted", GENERAL, _("Certificate of non-addiction"))
def not_addicted(ctx: RuleContext) -> GuardResult:
    return ctx.document_result("non_addiction", declared_ok=PASSED)


@rule("applicant_healthy", GENERAL, _("Physical and mental health confirmed by official bodies"))
def healthy(ctx: RuleContext) -> GuardResult:
    return ctx.document_result("health_certificate", declared_ok=PASSED)


@rule("applicant_not_state_employee", GENERAL, _("Not employed by the state"))
def not_state_employee(ctx: RuleContext) -> GuardResult:
    if ctx.data.get("is_state_employee") is not False:
        return GuardResult.failed(_("State employees may not hold an office licence."))
    return PASSED


@rule("applicant_not_other_office", GENERAL, _("Not the holder or representative of another office"))
def not_other_office(ctx: RuleContext) -> GuardResult:
    if ctx.data.get("represents_other_office") is not False:
        return GuardResult.failed(
            _("The holder or representative of another office may not apply for a licence.")
        )
    from .selectors import person_office_ties  # the rule reads the register, which imports this module

    tie = person_office_ties(person_id=ctx.case.applicant_id, excluding_case_id=ctx.case.pk)
    if tie:
        return GuardResult.failed(
            _("The applicant already holds or manages office %(office)s.") % {"office": tie}
        )
    return PASSED


# --- specialised conditions ----------------------------------------------------------------------


@rule("applicant_degree", SPECIALISED, _("A bachelor's degree or higher in a related field"))
def degree(ctx: RuleContext) -> GuardResult:
    params = ctx.params("applicant_degree")
    minimum = str(params.get("min_level") or "bachelor")
    fields = tuple(params.get("fields") or DEFAULT_DEGREE_FIELDS)
    level = str(ctx.data.get("degree_level") or "")
    if level not in DEGREE_LEVELS or DEGREE_LEVELS.index(level) < DEGREE_LEVELS.index(minimum):
        return GuardResult.failed(_("At least a bachelor's degree (کارشناسی) is required."))
    if ctx.data.get("degree_field") not in fields:
        return GuardResult.failed(
            _("The degree must be in civil engineering, architecture, urban planning, law, IT or management.")
        )
    return ctx.document_result("degree", declared_ok=PASSED)


@rule("applicant_experience", SPECIALISED, _("At least three years of experience in urban affairs or IT"))
def experience(ctx: RuleContext) -> GuardResult:
    minimum = int(ctx.params("applicant_experience").get("min_years") or 3)
    years = ctx.data.get("experience_years")
    if not isinstance(years, int | float) or years < minimum:
        return GuardResult.failed(
            _("At least %(years)d years of experience in urban affairs or IT are required.")
            % {"years": minimum}
        )
    if ctx.data.get("experience_field") not in ("urban_affairs", "it"):
        return GuardResult.failed(_("The experience must be in urban affairs or information technology."))
    return ctx.document_result("experience_certificate", declared_ok=PASSED)


@rule("applicant_training", SPECIALISED, _("Training courses approved by the municipality"))
def training(ctx: RuleContext) -> GuardResult:
    required = tuple(ctx.params("applicant_training").get("required") or DEFAULT_COURSES)
    missing = [name for name in required if ctx.data.get(name) is not True]
    if missing:
        return GuardResult.failed(
            _("These approved training courses have not been passed: %(courses)s.")
            % {"courses": "، ".join(_field_titles(ctx, missing))}
        )
    return ctx.document_result("training_certificates", declared_ok=PASSED)


def _assessment_result(ctx: RuleContext, kind: str) -> GuardResult:
    assessment = ctx.assessments.get(kind)
    label = AssessmentKind(kind).label
    if assessment is None:
        return GuardResult.waiting(_("The %(what)s has not been scheduled yet.") % {"what": label})
    if not assessment.is_recorded:
        return GuardResult.waiting(_("Awaiting the result of the %(what)s.") % {"what": label})
    if assessment.absent:
        return GuardResult.failed(_("The applicant did not attend the %(what)s.") % {"what": label})
    if not assessment.passed:
        return GuardResult.failed(
            _("The %(what)s was not passed: score %(score)s, pass mark %(mark)s.")
            % {"what": label, "score": _number(assessment.score), "mark": _number(assessment.pass_mark)}
        )
    return PASSED


@rule("applicant_passed_exam", SPECIALISED, _("Passing the written specialist exam"))
def passed_exam(ctx: RuleContext) -> GuardResult:
    return _assessment_result(ctx, AssessmentKind.EXAM)


@rule("applicant_passed_interview", SPECIALISED, _("Passing the scientific and technical interview"))
def passed_interview(ctx: RuleContext) -> GuardResult:
    return _assessment_result(ctx, AssessmentKind.INTERVIEW)


# --- premises ------------------------------------------------------------------------------------


def _visit_pending(ctx: RuleContext, declared: GuardResult) -> GuardResult:
    """A declared premises condition that holds on paper waits for the inspector's visit."""
    if not declared.ok or ctx.site_visit is not None:
        return declared
    return GuardResult.waiting(_("Declared; awaiting the site visit to confirm it."))


@rule("premises_use", PREMISES, _("A commercial or administrative building"))
def premises_use(ctx: RuleContext) -> GuardResult:
    allowed = tuple(ctx.params("premises_use").get("allowed") or DEFAULT_USES)
    visit = ctx.site_visit
    use = visit.building_use if visit is not None else ctx.data.get("premises_use")
    if use not in allowed:
        found = BuildingUse(use).label if use in BuildingUse.values else str(use or "—")
        return GuardResult.failed(
            _("The premises must be in a commercial or administrative building; found: %(use)s.")
            % {"use": found}
        )
    return _visit_pending(ctx, PASSED)


@rule("premises_area", PREMISES, _("The minimum useful area set by the city"))
def premises_area(ctx: RuleContext) -> GuardResult:
    minimum = Decimal(ctx.params("premises_area").get("min_m2") or ctx.case.city.min_office_area_m2)
    visit = ctx.site_visit
    raw = visit.measured_area_m2 if visit is not None else ctx.data.get("premises_area_m2")
    area = Decimal(str(raw)) if isinstance(raw, int | float | Decimal) else Decimal(0)
    if area < minimum:
        message = (
            _("The measured useful area is %(area)s m²; at least %(minimum)s m² is required.")
            if visit is not None
            else _("The declared useful area is %(area)s m²; at least %(minimum)s m² is required.")
        )
        return GuardResult.failed(message % {"area": _number(area), "minimum": _number(minimum)})
    return _visit_pending(ctx, PASSED)


@rule(
    "premises_equipped", PREMISES, _("Fully equipped: computers, fast internet, a sign, visitor facilities")
)
def premises_equipped(ctx: RuleContext) -> GuardResult:
    required = tuple(ctx.params("premises_equipped").get("required") or DEFAULT_EQUIPMENT)
    visit = ctx.site_visit
    found: Mapping[str, Any] = visit.equipment if visit is not None else ctx.data
    missing = [name for name in required if found.get(name) is not True]
    if missing:
        return GuardResult.failed(
            _("Equipment missing: %(items)s.") % {"items": "، ".join(_field_titles(ctx, missing))}
        )
    return _visit_pending(ctx, PASSED)


@rule("premises_in_permitted_zone", PREMISES, _("Inside a district the municipality allows"))
def premises_in_permitted_zone(ctx: RuleContext) -> GuardResult:
    visit = ctx.site_visit
    point = (
        (visit.latitude, visit.longitude) if visit is not None else (ctx.case.latitude, ctx.case.longitude)
    )
    if point[0] is None or point[1] is None:
        return GuardResult.failed(_("The premises' location on the map is missing."))
    zone: Zone | None = ctx.application.zone if ctx.application is not None else ctx.case.zone
    if zone is None:
        return GuardResult.failed(_("The premises lie outside every district of the city."))
    if zone.boundary:
        geometry = geo.zone_geometry(zone.pk, zone.boundary)
        if not geo.covers_point(geometry, latitude=float(point[0]), longitude=float(point[1])):
            return GuardResult.failed(
                _("The premises found at the site visit lie outside %(zone)s, the district applied for.")
                % {"zone": zone.name}
            )
    return _visit_pending(ctx, PASSED)


# --- reading them together -----------------------------------------------------------------------


@dataclass(frozen=True)
class RuleStatus:
    rule: EligibilityRule
    result: GuardResult

    @property
    def state(self) -> str:
        if self.result.ok:
            return "passed"
        return "pending" if self.result.pending else "failed"


def rules_of(case: Case) -> list[EligibilityRule]:
    """The rules the case's service version applies (``parameters.eligibility.rules``), in order."""
    names = (case.service_version.parameters or {}).get("eligibility", {}).get("rules") or list(RULES)
    return [RULES[name] for name in names if name in RULES]


def eligibility_of(case: Case, *, application: LicenceApplication | None = None) -> list[RuleStatus]:
    ctx = RuleContext(case, application=application)
    return [RuleStatus(rule=item, result=item.check(ctx)) for item in rules_of(case)]


def _field_titles(ctx: RuleContext, names: list[str]) -> list[str]:
    properties = (ctx.case.service_version.intake_schema or {}).get("properties") or {}
    return [str((properties.get(name) or {}).get("title") or name) for name in names]


def _number(value: Decimal | None) -> str:
    if value is None:
        return "—"
    normal = value.normalize()
    return f"{normal:f}"
