"""Sign-in pages of the identity app: the provider's door and the second factor."""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import match_token
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from . import two_factor
from .forms import CodeForm
from .oidc import oidc_enabled


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@never_cache
def oidc_authenticate(request: HttpRequest) -> HttpResponse:
    """Sends the browser to the OpenID provider (404 while no provider is configured)."""
    if not oidc_enabled():
        raise Http404(_("Sign-in through a provider is not configured."))
    return OIDCAuthenticationRequestView.as_view()(request)


@never_cache
def oidc_callback(request: HttpRequest) -> HttpResponse:
    if not oidc_enabled():
        raise Http404(_("Sign-in through a provider is not configured."))
    return OIDCAuthenticationCallbackView.as_view()(request)


def sign_in_failed(request: HttpRequest) -> HttpResponse:
    return render(request, "identity/sign_in_failed.html", status=403)


def _qr_data_uri(url: str) -> str:
    svg = segno.make(url, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_account(request: HttpRequest) -> HttpResponse:
    """The person's own second factor: set up, see the recovery codes left, renew them, turn it off."""
    user = request.user
    enrolled = two_factor.is_enrolled(user)
    required = two_factor.is_required(user)
    device = two_factor.pending_device(user=user)
    form = CodeForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "start":
            two_factor.enrolment_start(user=user)
            return redirect("identity:two-factor")
        form = CodeForm(request.POST)
        if action == "confirm" and device is not None and form.is_valid():
            codes = two_factor.enrolment_confirm(user=user, device=device, token=form.cleaned_data["code"])
            if codes is not None:
                device.refresh_from_db()
                two_factor.session_verify(request, device)
                messages.success(
                    request, _("Two-factor sign-in is on. Keep your recovery codes somewhere safe.")
                )
                return render(
                    request, "identity/recovery_codes.html", {"codes": codes, "next": _next(request)}
                )
            form.add_error("code", _("That code is not the one your app shows now. Try the next one."))
        elif action in {"renew", "disable"} and enrolled and form.is_valid():
            if match_token(user, form.cleaned_data["code"]) is None:
                form.add_error("code", _("That code is not right."))
            elif action == "renew":
                codes = two_factor.recovery_codes_renew(user=user)
                return render(
                    request, "identity/recovery_codes.html", {"codes": codes, "next": _next(request)}
                )
            elif required:
                form.add_error("code", _("Your role requires two-factor sign-in: it cannot be turned off."))
            else:
                two_factor.devices_remove(user=user)
                messages.success(request, _("Two-factor sign-in is off."))
                return redirect("identity:two-factor")
        elif form.is_valid():
            form.add_error(None, _("Start again: that step has expired."))
    context = {
        "enrolled": enrolled,
        "required": required,
        "device": device,
        "form": form,
        "codes_left": two_factor.recovery_codes_left(user) if enrolled else 0,
        "next": _next(request),
    }
    if device is not None:
        context["qr"] = _qr_data_uri(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "identity/two_factor.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a local sign-in: a code from the app, or a recovery code."""
    if not two_factor.is_enrolled(request.user):
        if two_factor.is_required(request.user):
            return redirect(f"{reverse('identity:two-factor')}?{urlencode({'next': _next(request)})}")
        # Reset by an administrator, or turned off: this session needs no code any more.
        request.session[two_factor.SESSION_KEY] = "not-needed"
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"])
        if device is not None:
            two_factor.session_verify(request, device)
            return redirect(_next(request))
        form.add_error("code", _("That code is not right, or has been used already."))
    return render(request, "identity/two_factor_verify.html", {"form": form, "next": _next(request)})
