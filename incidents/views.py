from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from .selectors import attachment_get_for_user


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Attachments are always downloaded, never rendered inline, and only by those who may see them."""
    attachment = attachment_get_for_user(user=request.user, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer stored.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
