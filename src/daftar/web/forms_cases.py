"""Forms of the case pages: the counter desk's applicant step, acting on a case, documents,
rating and public tracking. They check shape; every write happens in a service."""

from __future__ import annotations

from typing import Any

from captcha.fields import CaptchaField
from django import forms
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import PersonKind
from daftar.accounts.selectors import national_code_clean
from daftar.core.errors import DomainError, InvalidValue
from daftar.core.text import to_latin_digits

from .intake_form import DescribedForm
from .numeric_captcha import NumericCaptchaInput

CODE_ATTRS = {"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"}


def _code_field(label: Any = None) -> forms.CharField:
    return forms.CharField(
        label=label or _("National code / national ID"),
        max_length=20,
        help_text=_("10 digits for a person, 11 for a legal entity"),
        widget=forms.TextInput(attrs=CODE_ATTRS),
    )


class ApplicantFindForm(DescribedForm):
    national_code = _code_field()

    def clean_national_code(self) -> str:
        try:
            return national_code_clean(self.cleaned_data["national_code"])
        except InvalidValue as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from exc


class ApplicantRegisterForm(DescribedForm):
    kind = forms.ChoiceField(
        label=_("Applicant type"),
        choices=PersonKind.choices,
        initial=PersonKind.REAL,
        widget=forms.RadioSelect,
    )
    national_code = _code_field()
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    legal_name = forms.CharField(label=_("Registered name (legal entity)"), max_length=200, required=False)
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "dir": "ltr", "autocomplete": "off"}),
    )

    FIELD_OF_CODE = {
        "national_code": "national_code",
        "legal_national_id": "national_code",
        "person.kind_mismatch": "national_code",
        "mobile": "mobile",
        "person.name_required": "first_name",
        "person.legal_name_required": "legal_name",
    }

    def add_domain_error(self, error: DomainError) -> None:
        code = error.code
        for prefix, field in self.FIELD_OF_CODE.items():
            if code == prefix or code.startswith(prefix + "."):
                self.add_error(field, str(error))
                return
        self.add_error(None, str(error))


class ServiceSearchForm(DescribedForm):
    q = forms.CharField(label=_("Search services"), max_length=100, required=False)


class CaseActionForm(forms.Form):
    action = forms.CharField(max_length=48)
    expected_version = forms.IntegerField(min_value=1)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea)


class DocumentReviewForm(forms.Form):
    verdict = forms.ChoiceField(choices=[("verify", _("Verify")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea)


class DocumentUploadForm(forms.Form):
    requirement = forms.CharField(max_length=48)
    file = forms.FileField(label=_("File"))


class RatingForm(DescribedForm):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TrackForm(DescribedForm):
    tracking_code = forms.CharField(
        label=_("Tracking code"),
        max_length=20,
        help_text=_("Printed on your receipt, for example ABCDE-FGHJK"),
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off", "autocapitalize": "characters"}),
    )
    national_code = forms.CharField(
        label=_("Applicant's national code / national ID"),
        max_length=20,
        widget=forms.TextInput(attrs=CODE_ATTRS),
    )
    captcha = CaptchaField(
        label=_("Security number"),
        widget=NumericCaptchaInput(attrs={"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"}),
        error_messages={"invalid": _("The security number is not correct. Type the new one.")},
    )

    def clean_national_code(self) -> str:
        return to_latin_digits(self.cleaned_data["national_code"]).strip()
