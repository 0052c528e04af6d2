"""Forms of the reports pages (the filters of the list and the map) and of a citizen's follow-up on
the case page (add information, reopen). They check shape; the services check the rest."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from daftar.cases.followup import NOTE_MAX
from daftar.complaints.selectors import TEXT_MAX, ReportFilters
from daftar.core.errors import InvalidValue
from daftar.core.jalali import parse_jalali_date

from .intake_form import DescribedForm
from .templatetags.daftar import fa_digits

DATE_ATTRS = {"dir": "ltr", "autocomplete": "off", "inputmode": "numeric", "placeholder": "1405/09/01"}
STATUS_CHOICES = [("", _("All")), ("open", _("Open reports")), ("closed", _("Closed reports"))]


def _jalali_day(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return parse_jalali_date(text)
    except InvalidValue as exc:
        raise forms.ValidationError(str(exc), code=exc.code) from exc


class ReportFilterForm(DescribedForm):
    """The filters shared by the list and the map (sent with GET; every field optional)."""

    service = forms.ChoiceField(label=_("Service"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    district = forms.TypedChoiceField(label=_("District"), required=False, coerce=int, empty_value=None)
    date_from = forms.CharField(
        label=_("Filed from"),
        required=False,
        max_length=20,
        help_text=_("Year/month/day, for example 1405/09/01"),
        widget=forms.TextInput(attrs=DATE_ATTRS),
    )
    date_to = forms.CharField(
        label=_("Filed until"),
        required=False,
        max_length=20,
        help_text=_("Year/month/day, for example 1405/09/30"),
        widget=forms.TextInput(attrs=DATE_ATTRS),
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=TEXT_MAX,
        help_text=_("Tracking code, address, description or applicant name"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(
        self, *args: Any, services: list[tuple[str, str]], districts: list[int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        service = self.fields["service"]
        assert isinstance(service, forms.ChoiceField)
        service.choices = [("", _("All services")), *services]
        district = self.fields["district"]
        assert isinstance(district, forms.TypedChoiceField)
        district.choices = [("", _("All districts")), *((n, fa_digits(n)) for n in districts)]

    def clean_date_from(self) -> date | None:
        return _jalali_day(self.cleaned_data.get("date_from", ""))

    def clean_date_to(self) -> date | None:
        return _jalali_day(self.cleaned_data.get("date_to", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            self.add_error("date_to", _("The end of the range is before its start."))
        return cleaned

    def filters(self) -> ReportFilters:
        """The valid filters (an invalid one is left out; the form shows why)."""
        data = getattr(self, "cleaned_data", {})
        return ReportFilters(
            service=data.get("service") or "",
            status=data.get("status") or "",
            district=data.get("district"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            text=data.get("q") or "",
        )


class CaseNoteForm(DescribedForm):
    text = forms.CharField(
        label=_("Information to add"),
        max_length=NOTE_MAX,
        help_text=_("What you add is shown on the case's timeline and to the staff handling it."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CaseReopenForm(DescribedForm):
    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why should the case be reopened?"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
