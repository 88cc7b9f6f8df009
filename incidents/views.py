from django.http import HttpRequest, HttpResponse


def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError
