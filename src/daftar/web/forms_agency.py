"""The agency clerk's answer form: the outcome, the fields of the inquiry type's answer schema (built
by ``SchemaForm``, the same builder as the intake form), an explanation, the agency's reference and
optional attachments (the agency's letter, a map, a photo).

They check shape only; ``inquiry_answer`` checks again (the answer schema, an explanation for an
objection or a condition) and its per-field messages are put back on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from daftar.core.errors import DomainError
from daftar.documents.content import ACCEPTED_TYPES, types_label
from daftar.inquiries.models import Inquiry
from daftar.inquiries.services import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENT_MB, MAX_ATTACHMENTS

from .inquiry_display import OUTCOME_CHOICES
from .intake_form import DescribedForm, SchemaForm, describe_help
from .templatetags.daftar import fa_digits

ANSWER_PREFIX = "answer"  # the answer schema's fields are named "answer-<name>": never clash with ours
ATTACHMENTS = "attachments"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (``<input type="file" multiple>``), cleaned to a list."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        chosen = data if isinstance(data, list | tuple) else [data] if data else []
        if not chosen and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        single = super().clean
        return [single(item, initial) for item in chosen]


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

    def __init__(self, *args: Any, room: int = MAX_ATTACHMENTS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.room = room  # how many more files the inquiry may take
        if room > 0:  # made here: its help text names how many files are still allowed
            self.fields[ATTACHMENTS] = MultipleFileField(
                label=_("Attachments"),
                required=False,
                widget=MultipleFileInput(attrs={"accept": ",".join(ACCEPTED_TYPES)}),
                help_text=_(
                    "Optional: the agency's letter, a map or a photo. Up to %(count)s files, %(types)s, "
                    "at most %(max_mb)s MB each. If the form has to be corrected, choose the files again."
                )
                % {
                    "count": fa_digits(room),
                    "types": types_label(ACCEPTED_TYPES),
                    "max_mb": fa_digits(MAX_ATTACHMENT_MB),
                },
            )
            describe_help(self)

    def clean_attachments(self) -> list[UploadedFile]:
        chosen: list[UploadedFile] = self.cleaned_data.get(ATTACHMENTS) or []
        if len(chosen) > self.room:
            raise forms.ValidationError(
                _("Attach at most %(count)s files.") % {"count": fa_digits(self.room)}, code="too_many"
            )
        for upload in chosen:
            if upload.size and upload.size > MAX_ATTACHMENT_BYTES:
                raise forms.ValidationError(
                    _("%(name)s: the file is larger than the limit of %(max_mb)s MB.")
                    % {"name": upload.name, "max_mb": fa_digits(MAX_ATTACHMENT_MB)},
                    code="too_large",
                )
        return chosen


class AnswerForms:
    """The answer form and the answer schema's fields, filled and checked together."""

    def __init__(self, inquiry: Inquiry, data: Any = None, files: Any = None) -> None:
        room = MAX_ATTACHMENTS - inquiry.attachments.count()
        self.main = AnswerForm(data, files, room=room)
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

    def uploads(self) -> list[UploadedFile]:
        """The files chosen to attach, in the order given."""
        return list(self.main.cleaned_data.get(ATTACHMENTS) or [])

    def add_attachment_error(self, message: str) -> None:
        if ATTACHMENTS in self.main.fields:
            self.main.add_error(ATTACHMENTS, message)
        else:
            self.main.add_error(None, message)

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
