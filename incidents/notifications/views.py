"""The in-app bell and the mail preferences (SPEC §7), for every signed-in user, staff or not."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from escalation.access import access_of

from .. import selectors, services
from .models import NotificationPreference


@never_cache
@login_required
@require_GET
@transaction.non_atomic_requests  # polled by every open page: one indexed count, no transaction
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The bell's badge, polled by htmx: one count over the partial index of unread rows."""
    unread = selectors.notifications_unread_count(user=request.user)
    # Without the request: the navigation's context processor would cost two role queries per poll.
    return HttpResponse(render_to_string("incidents/_notification_bell.html", {"unread": unread}))


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["mute_comment_mail", "mute_assignment_mail"]


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    user: Any = request.user  # signed in: login_required
    preference = NotificationPreference.objects.filter(user=user).first()
    form = PreferencesForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        services.notification_preferences_update(
            user=user,
            mute_comment_mail=form.cleaned_data["mute_comment_mail"],
            mute_assignment_mail=form.cleaned_data["mute_assignment_mail"],
        )
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("notification-preferences")
    return render(request, "incidents/notification_preferences.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def notification_list(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own in-app notifications (SPEC §7); POST marks them read."""
    user: Any = request.user  # signed in: login_required
    if request.method == "POST":
        raw = request.POST.getlist("notification")
        pks = [int(pk) for pk in raw if pk.isdigit()] if raw else None
        changed = services.notifications_mark_read(user=user, pks=pks)
        messages.success(
            request,
            ngettext(
                "%(count)d notification marked as read.", "%(count)d notifications marked as read.", changed
            )
            % {"count": changed},
        )
        return redirect("notifications")
    return render(
        request,
        "incidents/notification_list.html",
        {"notifications": selectors.notifications_for(access=access_of(request))},
    )
