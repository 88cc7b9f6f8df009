"""The review queue: mail that a person has to decide about, and what was set aside."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from escalation.access import access_of
from escalation.gates import staff_required
from incidents.errors import IncidentError

from . import selectors, services
from .forms import ReviewForm
from .parsing import Malformed


@staff_required
def review_list(request: HttpRequest) -> HttpResponse:
    access = access_of(request)
    return render(
        request,
        "intake/review_list.html",
        {
            "awaiting": selectors.inbound_awaiting_review(access=access),
            "set_aside": selectors.inbound_set_aside(access=access),
            "may_review": selectors.may_review(access),
        },
    )


@require_POST
@staff_required
def review_action(request: HttpRequest, pk: int) -> HttpResponse:
    access = access_of(request)
    if not selectors.may_review(access):
        raise PermissionDenied(_("Only the service desk reviews incoming mail."))
    message = selectors.inbound_get_for_review(access=access, pk=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to accept or discard the message."))
        return redirect("intake:review")
    actor = request.user
    assert actor.is_authenticated
    try:
        if form.cleaned_data["action"] == "discard":
            services.inbound_discard(actor=actor, message=message)
            messages.success(
                request, _("The message from %(sender)s was discarded.") % {"sender": message.sender}
            )
            return redirect("intake:review")
        caller = None
        wanted = form.cleaned_data["caller"].strip()
        if wanted:
            caller = (
                get_user_model()
                .objects.filter(Q(username=wanted) | Q(email__iexact=wanted), is_active=True)
                .first()
            )
            if caller is None:
                messages.error(request, _("There is no active user “%(wanted)s”.") % {"wanted": wanted})
                return redirect("intake:review")
        done = services.inbound_accept(actor=actor, message=message, caller=caller)
    except (services.ReviewError, IncidentError, PermissionDenied, Malformed) as exc:
        messages.error(request, str(exc))
        return redirect("intake:review")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("intake:review")
    number = done.incident.number if done.incident else ""
    messages.success(
        request,
        _("The message from %(sender)s was added to %(number)s.")
        % {"sender": message.sender, "number": number},
    )
    return redirect("incidents:detail", number=number) if number else redirect("intake:review")
