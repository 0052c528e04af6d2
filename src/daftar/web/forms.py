"""Forms of the public and staff pages. They validate shape and translate domain errors into
field errors; every write happens in a service."""

from __future__ import annotations

from typing import Any

from captcha.fields import CaptchaField
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from daftar.core.errors import InvalidValue
from daftar.core.text import normalize_persian, to_latin_digits
from daftar.core.validators import normalize_mobile, validate_national_code

from .numeric_captcha import NumericCaptchaInput


class OtpRequestForm(forms.Form):
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        help_text=_("For example 0912 345 6789"),
        widget=forms.TextInput(
            attrs={
                "inputmode": "tel",
                "autocomplete": "tel",
                "dir": "ltr",
                "aria-describedby": "id_mobile_help",
            }
        ),
    )
    captcha = CaptchaField(
        label=_("Security number"),
        widget=NumericCaptchaInput(attrs={"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"}),
        error_messages={"invalid": _("The security number is not correct. Type the new one.")},
    )

    def clean_mobile(self) -> str:
        try:
            return normalize_mobile(self.cleaned_data["mobile"])
        except InvalidValue as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from exc


class OtpVerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "dir": "ltr", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        code = to_latin_digits(self.cleaned_data["code"]).strip()
        if not code.isdigit():
            raise forms.ValidationError(_("The code is made of digits only."), code="otp.digits")
        return code


class StaffSignInForm(AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"dir": "ltr", "autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"dir": "ltr"})


class TotpForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "dir": "ltr"}),
    )

    def clean_token(self) -> str:
        return to_latin_digits(self.cleaned_data["token"]).strip()


class ProfileForm(forms.Form):
    national_code = forms.CharField(
        label=_("National code"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"}),
    )
    first_name = forms.CharField(
        label=_("First name"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )

    def clean_national_code(self) -> str:
        try:
            return validate_national_code(self.cleaned_data["national_code"])
        except InvalidValue as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from exc

    def clean_first_name(self) -> str:
        return normalize_persian(self.cleaned_data["first_name"])

    def clean_last_name(self) -> str:
        return normalize_persian(self.cleaned_data["last_name"])
