"""The «عدد امنیتی»: a numeric captcha, as on Iran's national portals."""

from __future__ import annotations

import secrets

from captcha.fields import CaptchaTextInput


def digits_challenge() -> tuple[str, str]:
    digits = "".join(str(secrets.randbelow(10)) for _ in range(5))
    return digits, digits


class NumericCaptchaInput(CaptchaTextInput):
    template_name = "web/captcha_widget.html"
