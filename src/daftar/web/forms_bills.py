"""Forms of the citizens' bill pages: looking bills up by a record's code, and paying one online.

They check and normalise what was typed (Persian digits, dashes, the bill ID's check digit) and
turn a bad code into a Persian message on its field; every write happens in a billing service.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from daftar.billing.numbers import bill_number_clean
from daftar.catalog.intake import FORMATS
from daftar.core.errors import InvalidValue
from daftar.core.money import Unit, parse_amount
from daftar.core.plates import validate_car_plate

RENEWAL_CODE = "renewal_code"
PLATE = "plate"
BILL_ID = "bill"
LOOKUP_KINDS = (
    (RENEWAL_CODE, _("Renewal code (property)")),
    (PLATE, _("Vehicle plate")),
    (BILL_ID, _("Bill ID")),
)
PROVIDER_LABELS = {
    "sandbox": _("Sandbox bank"),
    "zarinpal": _("Zarinpal"),
    "zibal": _("Zibal"),
}
_IDEMPOTENCY_KEY = re.compile(r"[0-9a-f]{32}")


class BillLookupForm(forms.Form):
    """One code of one kind; ``cleaned_data["key"]`` is the code in its stored form."""

    kind = forms.ChoiceField(
        label=_("Find bills by"), choices=LOOKUP_KINDS, initial=RENEWAL_CODE, widget=forms.RadioSelect
    )
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("For example renewal code 3-123-45-6, plate 12 ب 345 ایران 67 or a 13-digit bill ID."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "aria-describedby": "id_code_help"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, code = data.get("kind"), data.get("code")
        if not kind or not code:
            return data
        if kind == BILL_ID:
            number = bill_number_clean(code)
            if number is None:
                self.add_error(
                    "code",
                    _(
                        "This bill ID is not right: it has 13 digits and the last one checks the others. "
                        "Type it again as printed on the bill."
                    ),
                )
            data["key"] = number
            return data
        try:
            data["key"] = FORMATS["renewal_code"](code) if kind == RENEWAL_CODE else validate_car_plate(code)
        except InvalidValue as exc:
            if kind == RENEWAL_CODE:
                self.add_error(
                    "code", _("A renewal code is digits separated by dashes, for example 3-123-45-6.")
                )
            else:
                self.add_error("code", str(exc))
        return data


class BillPayForm(forms.Form):
    """Which gateway, and (only on bills that allow part payment) how much; blank pays it all."""

    provider = forms.ChoiceField(label=_("Pay through"), widget=forms.RadioSelect)
    amount = forms.CharField(
        label=_("Amount to pay"),
        required=False,
        max_length=30,
        help_text=_("Leave empty to pay everything the bill owes."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "dir": "ltr", "aria-describedby": "id_amount_help"}
        ),
    )
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, providers: Sequence[str], allow_partial: bool, unit: Unit = "rial", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.unit: Unit = unit
        field = self.fields["provider"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, PROVIDER_LABELS.get(code, code)) for code in providers]
        if providers:
            field.initial = providers[0]
        if allow_partial:
            self.fields["amount"].label = _("Amount to pay (%(unit)s)") % {
                "unit": _("tomans") if unit == "toman" else _("rials")
            }
        else:
            del self.fields["amount"]

    def clean_amount(self) -> int | None:
        text = (self.cleaned_data.get("amount") or "").strip()
        if not text:
            return None
        try:
            return parse_amount(text, unit=self.unit)
        except InvalidValue as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from exc

    def clean_idempotency_key(self) -> str:
        key = str(self.cleaned_data.get("idempotency_key") or "").strip().lower().replace("-", "")
        if not _IDEMPOTENCY_KEY.fullmatch(key):
            raise forms.ValidationError(_("The form has expired; open the bill again."), code="stale_form")
        return key
