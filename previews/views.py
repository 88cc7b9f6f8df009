"""The preview images: served only after the same permission check as the attachment's download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from escalation.access import access_of
from incidents.selectors import attachment_get_for_user

from . import services


@login_required
@require_GET
def thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = attachment_get_for_user(access=access_of(request), pk=pk)
    return _image(services.thumbnail_bytes(attachment))


@login_required
@require_GET
def page(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    attachment = attachment_get_for_user(access=access_of(request), pk=pk)
    return _image(services.page_bytes(attachment, number))


def _image(content: bytes | None) -> HttpResponse:
    if content is None:
        raise Http404(gettext("This attachment has no preview."))
    # An image this server drew (rendering.py), shown inline; the headers of the download still hold.
    response = HttpResponse(content, content_type="image/webp")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, max-age=3600"
    return response
