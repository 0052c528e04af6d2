"""The agency clerk's answer form: the outcome, the fields of the inquiry type's answer schema (built
by ``SchemaForm``, the same builder as the intake form), an explanation and the agency's reference.

They check shape only; ``inquiry_answer`` checks again (the answer schema, an explanation for an
objection or a condition) and its per-field messages are put back on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from daftar.core.errors import DomainError
from daftar.inquiries.models import Inquiry

from .inquiry_display import OUTCOME_CHOICES
from .intake_form import DescribedForm, SchemaForm

ANSWER_PREFIX = "answer"  # the answer schema's fields are named "answer-<name>": never clash with ours


class AnswerForm(DescribedForm):
    outcome = forms.ChoiceField(label=_("Result"), choices=OUTCOME_CHOICES, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Explanation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when there is an objection or a condition: say what it is."),
    )
    reference = forms.CharField(
        label=_("Your letter number"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
        help_text=_("The agency's own reference for this answer, if it has one."),
    )


class AnswerForms:
    """The answer form and the answer schema's fields, filled and checked together."""

    def __init__(self, inquiry: Inquiry, data: Any = None) -> None:
        self.main = AnswerForm(data)
        self.answer = SchemaForm(data, schema=inquiry.inquiry_type.answer_schema or {}, prefix=ANSWER_PREFIX)

    def is_valid(self) -> bool:
        main, answer = self.main.is_valid(), self.answer.is_valid()  # both, so both show their errors
        return main and answer

    @property
    def has_errors(self) -> bool:
        return bool(self.main.errors or self.answer.errors)

    def values(self) -> dict[str, Any]:
        return {
            "outcome": self.main.cleaned_data["outcome"],
            "data": self.answer.schema_data(),
            "note": self.main.cleaned_data["note"],
            "reference": self.main.cleaned_data["reference"],
        }

    def add_domain_errors(self, error: DomainError) -> bool:
        """Put the service's per-field messages on the fields they name; whether any was placed
        (if none was, the page shows the error's own message above the form)."""
        if error.code == "intake.invalid":  # the answer schema's check names the schema's fields
            return self.answer.add_schema_errors(error)
        placed = False
        for key, messages in error.field_messages().items():
            if key in self.main.fields:
                for message in messages:
                    self.main.add_error(key, message)
                placed = True
        return placed
