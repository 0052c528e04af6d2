"""Public and staff pages. Thin: parse the request, call a selector or a service, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_ratelimit.core import is_ratelimited

from daftar.accounts import services as accounts
from daftar.accounts.models import User
from daftar.catalog.selectors import categories_list
from daftar.core.errors import DomainError, RateLimited
from daftar.offices import selectors as offices
from daftar.sms.selectors import sms_recent

from .client_ip import client_ip
from .forms import OtpRequestForm, OtpVerifyForm, ProfileForm, StaffSignInForm, TotpForm

SESSION_OTP_CHALLENGE = "otp_challenge"
SESSION_OTP_MOBILE = "otp_mobile"
SESSION_PENDING_STAFF = "pending_staff_user"
SESSION_NEXT = "signin_next"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _limited(request: HttpRequest, *, group: str, rate: str, key: str = "ip") -> bool:
    return bool(is_ratelimited(request, group=group, key=key, rate=rate, method="POST", increment=True))


def _too_many(form: Any) -> None:
    form.add_error(None, _("Too many attempts from this connection. Please wait a while and try again."))


def _safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return None


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"nav": "home", "categories": categories_list()})


def office_finder(request: HttpRequest) -> HttpResponse:
    city = offices.city_default()
    if city is None:
        raise Http404
    district = request.GET.get("district", "")
    zone_number = int(district) if district.isdigit() else None
    open_now = request.GET.get("open_now") == "1"
    page_number = request.GET.get("page", "1")
    page = offices.offices_search(
        city=city,
        zone_number=zone_number,
        open_at=timezone.now() if open_now else None,
        page=int(page_number) if page_number.isdigit() else 1,
    )
    base = {k: v for k, v in {"district": district, "open_now": "1" if open_now else ""}.items() if v}
    return render(
        request,
        "web/offices.html",
        {
            "nav": "offices",
            "zones": offices.zones_of(city=city),
            "selected_district": zone_number,
            "open_now": open_now,
            "page": page,
            "holiday_today": offices.holiday_name_on(city=city, day=timezone.localdate()),
            "querystring_base": f"{urlencode(base)}&" if base else "",
        },
    )


def signin(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:account")
    form = OtpRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _limited(request, group="otp-request", rate=settings.OTP_RATE_PER_IP):
            _too_many(form)
        else:
            try:
                issued = accounts.otp_request(mobile=form.cleaned_data["mobile"], ip=client_ip(request))
            except RateLimited as exc:
                form.add_error(None, str(exc))
            else:
                request.session[SESSION_OTP_CHALLENGE] = issued.challenge_id
                request.session[SESSION_OTP_MOBILE] = issued.mobile
                next_url = _safe_next(request, request.GET.get("next"))
                if next_url:
                    request.session[SESSION_NEXT] = next_url
                return redirect("web:signin_verify")
    return render(request, "web/signin.html", {"nav": "signin", "form": form})


def signin_verify(request: HttpRequest) -> HttpResponse:
    challenge_id = request.session.get(SESSION_OTP_CHALLENGE)
    mobile = request.session.get(SESSION_OTP_MOBILE)
    if not challenge_id or not mobile:
        return redirect("web:signin")
    form = OtpVerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _limited(request, group="otp-verify", rate=settings.OTP_VERIFY_RATE_PER_IP):
            _too_many(form)
        else:
            try:
                user = accounts.otp_verify(
                    challenge_id=challenge_id, mobile=mobile, code=form.cleaned_data["code"]
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                next_url = request.session.get(SESSION_NEXT)
                login(request, user, backend=MODEL_BACKEND)  # cycles the session key
                messages.success(request, _("You are signed in."))
                return redirect(_safe_next(request, next_url) or "web:account")
    return render(request, "web/signin_verify.html", {"nav": "signin", "form": form, "mobile": mobile})


def staff_signin(request: HttpRequest) -> HttpResponse:
    form = StaffSignInForm(request, data=request.POST or None)
    limited = False
    if request.method == "POST":
        # Counted per connection and per account name, so neither many names from one place nor one
        # name from many places can be guessed at; when limited, the password is not even checked.
        limited_ip = _limited(request, group="staff-signin", rate=settings.STAFF_SIGNIN_RATE_PER_IP)
        limited_name = _limited(
            request,
            group="staff-signin-user",
            rate=settings.STAFF_SIGNIN_RATE_PER_USERNAME,
            key="post:username",
        )
        limited = limited_ip or limited_name
        if limited:
            form = StaffSignInForm(request)
        elif form.is_valid():
            user = form.get_user()
            if accounts.totp_device_for(user=user) is not None:
                request.session[SESSION_PENDING_STAFF] = user.pk
                return redirect("web:staff_totp")
            login(request, user, backend=MODEL_BACKEND)
            return redirect("web:account")
    return render(request, "web/staff_signin.html", {"nav": "staff", "form": form, "limited": limited})


def staff_totp(request: HttpRequest) -> HttpResponse:
    user_id = request.session.get(SESSION_PENDING_STAFF)
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        return redirect("web:staff_signin")
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _limited(request, group="staff-totp", rate=settings.STAFF_SIGNIN_RATE_PER_IP):
            _too_many(form)
        else:
            device = accounts.totp_verify(user=user, token=form.cleaned_data["token"])
            if device is None:
                form.add_error(None, _("The code is not correct or has expired."))
            else:
                login(request, user, backend=MODEL_BACKEND)
                otp_login(request, device)
                return redirect("web:account")
    return render(request, "web/staff_totp.html", {"nav": "staff", "form": form})


@login_required
def totp_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if not offices.is_staff_member(user=user):
        raise Http404
    device = accounts.totp_device_start(user=user)
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.totp_device_confirm(device=device, token=form.cleaned_data["token"])
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Two-step sign-in is on."))
            return redirect("web:account")
    return render(
        request,
        "web/totp_setup.html",
        {
            "nav": "account",
            "form": form,
            "confirmed": device.confirmed,
            "qr_data_uri": accounts.totp_qr_data_uri(device=device),
            "secret_b32": accounts.totp_secret_b32(device=device),
        },
    )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    assignments = list(offices.offices_staff_of(user=user))
    profile_form = None
    if not assignments and user.person_id is None:
        profile_form = ProfileForm(request.POST or None)
        if request.method == "POST" and profile_form.is_valid():
            try:
                accounts.citizen_profile_complete(user=user, **profile_form.cleaned_data)
            except DomainError as exc:
                profile_form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your details were saved."))
                return redirect("web:account")
    return render(
        request,
        "web/account.html",
        {"nav": "account", "assignments": assignments, "person": user.person, "profile_form": profile_form},
    )


@require_POST
def signout(request: HttpRequest) -> HttpResponseRedirect:
    logout(request)
    return redirect("web:home")


def dev_sms(request: HttpRequest) -> HttpResponse:
    if not settings.DEV_SMS_PAGE:
        raise Http404
    return render(request, "web/dev_sms.html", {"messages_sent": sms_recent(limit=50)})


def ratelimited(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {"title": _("Too many requests"), "message": _("Please wait a while and try again.")},
        status=429,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)
