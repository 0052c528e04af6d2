"""What licensing registers with the engine: every eligibility rule as a guard, the filing checks
(an open call with a place in the district; nothing declared that already rules the applicant
out), the automatic transitions after an exam, interview or site visit, and the effects that
register an application and issue or renew a licence."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from daftar.cases.models import Case
from daftar.workflow.registry import EffectContext, GuardResult, effects, guards

from .eligibility import RULES, EligibilityRule, RuleContext, eligibility_of
from .licences import licence_issue, licence_renew
from .models import AssessmentKind, SiteVisit
from .services import application_register, call_place_find


def _guard_for(item: EligibilityRule) -> None:
    def check(case: Case) -> GuardResult:
        return item.check(RuleContext(case))

    check.__name__ = item.name
    guards.register(item.name)(check)


for _rule in RULES.values():
    _guard_for(_rule)


@guards.register("licence_call_has_place")
def call_has_place(case: Case) -> GuardResult:
    """Filing check: a call is open now and the premises' district has a place left in it."""
    place = call_place_find(case=case, lock=True)
    return GuardResult.failed(place) if isinstance(place, str) else GuardResult.passed()


@guards.register("licence_applicant_not_ruled_out")
def applicant_not_ruled_out(case: Case) -> GuardResult:
    """Filing check: no eligibility rule has already failed on what the application declares
    (pending ones — documents, exam, interview, site visit — are decided later)."""
    failed = [status for status in eligibility_of(case) if status.state == "failed"]
    if not failed:
        return GuardResult.passed()
    return GuardResult.failed(" ".join(str(status.result.reason) for status in failed))


def _assessment_failed(case: Case, kind: str) -> GuardResult:
    name = "applicant_passed_exam" if kind == AssessmentKind.EXAM else "applicant_passed_interview"
    result = RULES[name].check(RuleContext(case))
    if not result.ok and not result.pending:
        return GuardResult.passed()
    return GuardResult.failed(_("The result has not been recorded as failed."))


@guards.register("licence_exam_failed")
def exam_failed(case: Case) -> GuardResult:
    return _assessment_failed(case, AssessmentKind.EXAM)


@guards.register("licence_interview_failed")
def interview_failed(case: Case) -> GuardResult:
    return _assessment_failed(case, AssessmentKind.INTERVIEW)


@guards.register("licence_site_visit_recorded")
def site_visit_recorded(case: Case) -> GuardResult:
    if SiteVisit.objects.filter(application__case_id=case.pk).exists():
        return GuardResult.passed()
    return GuardResult.waiting(_("The site visit has not been recorded yet."))


@effects.register("licence_application_register")
def register_application(case: Case, context: EffectContext) -> None:
    application_register(case=case)


@effects.register("issue_office_licence")
def issue_office_licence(case: Case, context: EffectContext) -> None:
    licence_issue(case=case, actor=context.actor)


@effects.register("renew_office_licence")
def renew_office_licence(case: Case, context: EffectContext) -> None:
    licence_renew(case=case, actor=context.actor)


RENEWAL_OPENS_DAYS_BEFORE = 90


@guards.register("licence_renewal_allowed")
def renewal_allowed(case: Case) -> GuardResult:
    """Filing check for a renewal: the office's licence exists, is not revoked, the filer holds or
    manages it, and expiry is at most 90 days away (or already past)."""
    from datetime import timedelta

    from daftar.core.jalali import format_jalali_date, local_today

    from .models import OfficeLicence
    from .selectors import person_office_ties

    code = str((case.links or {}).get("office") or "")
    licence = OfficeLicence.objects.filter(city=case.city, office__code=code).select_related("office").first()
    if licence is None:
        return GuardResult.failed(_("No licensed office with code %(code)s was found.") % {"code": code})
    if licence.revoked_at is not None:
        return GuardResult.failed(_("This office's licence has been revoked; it cannot be renewed."))
    if licence.holder_id != case.applicant_id and person_office_ties(person_id=case.applicant_id) != code:
        return GuardResult.failed(_("Only the licence holder or the office's manager may renew the licence."))
    opens_on = licence.valid_until - timedelta(days=RENEWAL_OPENS_DAYS_BEFORE)
    if local_today() < opens_on:
        return GuardResult.failed(
            _("Renewal opens on %(date)s, %(days)d days before the licence expires.")
            % {"date": format_jalali_date(opens_on), "days": RENEWAL_OPENS_DAYS_BEFORE}
        )
    return GuardResult.passed()
