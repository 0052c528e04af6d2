"""Messages to the applicant about their case. They are written to the outbox in the same
transaction as the change they report, and delivered (with retries) by the background workers."""

from __future__ import annotations

from datetime import date

from daftar.outbox.services import outbox_enqueue

from .models import Case
from .selectors import workflow_of
from .tracking import display


def _enqueue(case: Case, body: str, purpose: str, key: str) -> None:
    mobile = case.applicant.mobile
    if not mobile:
        return
    outbox_enqueue(
        kind="sms.send",
        payload={"to": mobile, "body": body, "purpose": purpose},
        idempotency_key=key,
        subject=f"{purpose} {case.tracking_code}",
    )


def notify_case_filed(*, case: Case) -> None:
    body = (
        f"پرونده «{case.service_version.name_fa}» با کد رهگیری {display(case.tracking_code)} "
        "تشکیل شد. پیگیری: سامانه دفتر"
    )
    _enqueue(case, body, "case_filed", f"case-{case.pk}-filed")


def notify_case_state(*, case: Case) -> None:
    state = workflow_of(case).state(case.state)
    body = f"پرونده {display(case.tracking_code)}: {state.name['fa']}. جزئیات در سامانه دفتر"
    # One message per state change: the case version makes the key unique and retries harmless.
    _enqueue(case, body, "case_state", f"case-{case.pk}-v{case.version}-{case.state}")


def notify_correction_waiting(*, case: Case, today: date) -> None:
    body = (
        f"پرونده {display(case.tracking_code)} در انتظار رفع نقص مدارک از سوی شماست. "
        "برای ادامه، مدارک را در دفتر یا سامانه اصلاح کنید."
    )
    _enqueue(case, body, "case_reminder", f"case-{case.pk}-reminder-{today.isoformat()}")
