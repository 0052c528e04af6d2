"""Forms of the office counter's bill pages and the city's finance pages. They check shape and put
domain errors back on their fields; every write happens in billing's services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from daftar.accounts.selectors import national_code_clean
from daftar.billing.lines import ItemSpec
from daftar.billing.models import Bill, ItemLine
from daftar.billing.numbers import bill_number_clean
from daftar.billing.settlement import jalali_month_parse
from daftar.core.errors import DomainError, InvalidValue
from daftar.core.jalali import parse_jalali_date
from daftar.core.money import UNIT_NAMES_FA, Unit, parse_amount
from daftar.core.plates import validate_car_plate
from daftar.core.text import normalize_persian, to_latin_digits

from .intake_form import DescribedForm, describe_help

LTR_NUMERIC = {"dir": "ltr", "inputmode": "numeric", "autocomplete": "off"}


def domain_error_to_form(form: forms.Form, error: DomainError) -> None:
    """Put a domain error's field messages on the form's fields, the rest above the form."""
    placed = False
    for name, messages in error.field_messages().items():
        if name in form.fields:
            for message in messages:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, str(error))


def _amount_field(required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=_("Amount"), required=required, max_length=30, widget=forms.TextInput(attrs=LTR_NUMERIC)
    )


def _unit() -> Unit:
    return "toman" if settings.DAFTAR_MONEY_UNIT == "toman" else "rial"


def _amount_help() -> str:
    """Read when the form is made, in the reader's language: the unit amounts are typed in."""
    return gettext("In %(unit)s, for example 1,250,000") % {"unit": UNIT_NAMES_FA[_unit()]}


def _clean_amount(text: str) -> int | None:
    if not (text or "").strip():
        return None
    try:
        return parse_amount(text, unit=_unit())
    except InvalidValue as exc:
        raise forms.ValidationError(str(exc), code=exc.code) from exc


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), required=True
    )


# --- the counter ---------------------------------------------------------------------------------


class CounterLookupForm(DescribedForm):
    kind = forms.ChoiceField(
        label=_("Find by"),
        choices=[
            ("bill", _("Bill ID")),
            ("renewal_code", _("Renewal code")),
            ("plate", _("Plate")),
            ("national_code", _("Payer's national code")),
        ],
        initial="bill",
        widget=forms.RadioSelect,
    )
    q = forms.CharField(
        label=_("Bill ID or code"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    closed = forms.BooleanField(label=_("Also show paid and closed bills"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, text = data.get("kind"), data.get("q")
        if not kind or not text:
            return data
        try:
            data["key"] = self._key(kind, text)
        except InvalidValue as exc:
            self.add_error("q", str(exc))
        return data

    @staticmethod
    def _key(kind: str, text: str) -> str:
        if kind == "bill":
            number = bill_number_clean(text)
            if number is None:
                raise InvalidValue(
                    "bill.number_invalid", _("This is not a valid bill ID; check its 13 digits.")
                )
            return number
        if kind == "plate":
            return validate_car_plate(text)
        if kind == "national_code":
            return national_code_clean(text)
        code = to_latin_digits(normalize_persian(text)).replace(" ", "").replace("/", "-").strip("-")
        if not code or any(ch not in "0123456789-" for ch in code):
            raise InvalidValue("renewal_code.invalid", _("A renewal code is digits separated by dashes."))
        return code


class CollectForm(DescribedForm):
    reference = forms.CharField(
        label=_("Card terminal reference number"),
        max_length=30,
        help_text=_("The reference (شماره پیگیری) printed on the terminal's slip"),
        widget=forms.TextInput(attrs=LTR_NUMERIC),
    )
    amount = _amount_field(required=False)

    def __init__(self, *args: Any, partial: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not partial:
            del self.fields["amount"]
        else:
            self.fields["amount"].help_text = " ".join(
                [gettext("Leave empty to collect what the bill owes today."), _amount_help()]
            )
            describe_help(self)

    def clean_amount(self) -> int | None:
        return _clean_amount(self.cleaned_data.get("amount", ""))


class ReverseForm(DescribedForm):
    reason = _reason_field()


class DayForm(DescribedForm):
    day = forms.CharField(
        label=_("Day"),
        max_length=20,
        required=False,
        help_text=_("Year/month/day, for example 1405/09/01"),
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )

    def clean_day(self) -> date | None:
        text = self.cleaned_data.get("day", "")
        if not text.strip():
            return None
        try:
            return parse_jalali_date(text)
        except InvalidValue as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from exc


# --- finance -------------------------------------------------------------------------------------


class MonthForm(DescribedForm):
    month = forms.CharField(
        label=_("Month"),
        max_length=10,
        required=False,
        help_text=_("Year/month, for example 1405/09"),
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )

    def clean_month(self) -> tuple[int, int] | None:
        text = self.cleaned_data.get("month", "")
        if not text.strip():
            return None
        try:
            return jalali_month_parse(text)
        except InvalidValue as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from exc


class BillNumberForm(DescribedForm):
    number = forms.CharField(label=_("Bill ID"), max_length=30, widget=forms.TextInput(attrs=LTR_NUMERIC))

    def clean_number(self) -> str:
        number = bill_number_clean(self.cleaned_data["number"])
        if number is None:
            raise forms.ValidationError(_("This is not a valid bill ID; check its 13 digits."))
        return number


class FlagRefundForm(DescribedForm):
    order_id = forms.CharField(max_length=20, widget=forms.HiddenInput)
    reason = _reason_field()


class RefundPayForm(DescribedForm):
    refund = forms.CharField(max_length=20, widget=forms.HiddenInput)
    reference = forms.CharField(
        label=_("Transfer reference"),
        max_length=64,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )


class CancelForm(DescribedForm):
    reason = _reason_field()


class AmendAddForm(DescribedForm):
    line = forms.ChoiceField(
        label=_("Line"),
        choices=[
            (ItemLine.MUNICIPAL_FEE.value, ItemLine.MUNICIPAL_FEE.label),
            (ItemLine.OFFICE_TARIFF.value, ItemLine.OFFICE_TARIFF.label),
            (ItemLine.PENALTY.value, ItemLine.PENALTY.label),
        ],
    )
    fee_type = forms.SlugField(
        label=_("Fee type"),
        max_length=32,
        help_text=_("The revenue account it is booked to, for example building or waste"),
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    amount = _amount_field()
    reason = _reason_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = _amount_help()
        describe_help(self)

    def clean_amount(self) -> int:
        amount = _clean_amount(self.cleaned_data.get("amount", ""))
        if not amount:
            raise forms.ValidationError(_("Enter an amount more than zero."))
        return amount

    def item_spec(self, bill: Bill) -> ItemSpec:
        """The line to add; an office's tariff is credited to the office the bill names."""
        data = self.cleaned_data
        tariff = data["line"] == ItemLine.OFFICE_TARIFF
        if tariff and bill.office is None:
            raise InvalidValue(
                "bill.tariff_office",
                _("This bill names no office to credit a tariff to."),
                fields={"line": [_("This bill names no office to credit a tariff to.")]},
            )
        return ItemSpec(
            line=data["line"],
            fee_type="office_tariff" if tariff else data["fee_type"],
            title=data["title"],
            amount=data["amount"],
            fiscal_year=bill.fiscal_year,
            office=bill.office if tariff else None,
        )


class AmendRemoveForm(DescribedForm):
    seq = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = _reason_field()
