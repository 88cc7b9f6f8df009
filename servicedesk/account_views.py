"""The signed-in user's own API tokens: what exists, until when, and a button to revoke each."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from .api_auth import auth_token_revoke, auth_token_revoke_all, auth_tokens_of


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if "revoke_all" in request.POST:
            count = auth_token_revoke_all(user=request.user)
            messages.success(
                request,
                ngettext("Revoked %(count)d token.", "Revoked %(count)d tokens.", count) % {"count": count},
            )
        else:
            digest = request.POST.get("digest", "")
            if auth_token_revoke(user=request.user, digest=digest):
                messages.success(request, _("Token revoked: clients using it can no longer sign in with it."))
            else:
                messages.error(request, _("That token does not exist any more, or is not yours."))
        return redirect("api-tokens")
    tokens = auth_tokens_of(user=request.user)
    return render(request, "registration/api_tokens.html", {"tokens": tokens, "now": timezone.now()})
