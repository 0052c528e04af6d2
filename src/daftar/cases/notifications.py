"""Messages to the applicant about their case (SMS today; the outbox of the inquiries issue later)."""

from __future__ import annotations

import logging

from django.utils import translation

from daftar.sms.providers import SmsDeliveryError
from daftar.sms.services import sms_send

from .models import Case
from .selectors import workflow_of
from .tracking import display

logger = logging.getLogger(__name__)


def _send(case: Case, body: str, purpose: str) -> None:
    mobile = case.applicant.mobile
    if not mobile:
        return
    try:
        sms_send(to=mobile, body=body, purpose=purpose)
    except SmsDeliveryError:
        # The case is safely committed; a lost SMS must not undo it. The record shows the failure.
        logger.warning("SMS about case %s could not be sent", case.tracking_code)


def notify_case_filed(*, case_id: int) -> None:
    case = Case.objects.select_related("applicant", "service_version").get(pk=case_id)
    with translation.override("fa"):
        body = (
            f"پرونده «{case.service_version.name_fa}» با کد رهگیری {display(case.tracking_code)} "
            "تشکیل شد. پیگیری: سامانه دفتر"
        )
    _send(case, body, "case_filed")


def notify_case_state(*, case_id: int) -> None:
    case = Case.objects.select_related("applicant", "service_version").get(pk=case_id)
    state = workflow_of(case).state(case.state)
    body = f"پرونده {display(case.tracking_code)}: {state.name['fa']}. جزئیات در سامانه دفتر"
    _send(case, body, "case_state")
