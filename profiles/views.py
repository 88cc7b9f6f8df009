"""The preferences page: everyone (staff and callers) chooses their language and time zone here."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .forms import PreferencesForm
from .locale import remember
from .models import Profile
from .services import preferences_save


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user: Any = request.user  # signed in: login_required
    profile = Profile.objects.filter(user=user).first() or Profile(user=user)
    form = PreferencesForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        profile = preferences_save(
            user=user,
            language=form.cleaned_data["language"],
            time_zone=form.cleaned_data["time_zone"],
        )
        remember(request, profile)
        if profile.language:
            translation.activate(profile.language)
        messages.success(request, _("Your preferences are saved."))
        return redirect("profiles:preferences")
    return render(
        request,
        "profiles/preferences.html",
        {"form": form, "now": timezone.now(), "current_zone": timezone.get_current_timezone_name()},
    )
