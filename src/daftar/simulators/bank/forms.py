"""The sandbox bank's one form: which button was pressed, and the card number when it debits."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import card_number_clean

PAY = "pay"
CANCEL = "cancel"
FAIL_AFTER_DEBIT = "fail_after_debit"
CLOSE_AFTER_DEBIT = "close_after_debit"
TIME_OUT = "time_out"
DEBIT_DIFFERENT = "debit_different"
ACTIONS = (PAY, CANCEL, FAIL_AFTER_DEBIT, CLOSE_AFTER_DEBIT, TIME_OUT, DEBIT_DIFFERENT)
DEBITING = frozenset({PAY, FAIL_AFTER_DEBIT, CLOSE_AFTER_DEBIT, DEBIT_DIFFERENT})


class BankPayForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    card_number = forms.CharField(
        label=_("Card number"),
        required=False,
        max_length=30,
        help_text=_("Sixteen digits; any number works at the sandbox bank."),
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "cc-number",
                "dir": "ltr",
                "aria-describedby": "id_card_number_help",
            }
        ),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("action") in DEBITING:
            card = card_number_clean(str(data.get("card_number") or ""))
            if card is None:
                self.add_error("card_number", _("Enter the card's 16 digits."))
            else:
                data["card_number"] = card
        return data
