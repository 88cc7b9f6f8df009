"""The API's token authentication (``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``).

Kept apart from the views: DRF imports authentication classes while ``rest_framework.views`` loads.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from knox.signals import token_expired
from rest_framework import exceptions

from profiles.locale import locale_of


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's hashed, expiring tokens, sent as ``Authorization: Token <token>``.

    A header that is not UTF-8 is an invalid token (401), not a server error.
    """

    def authenticate(self, request: Any) -> tuple[Any, AuthToken] | None:
        """A client that names no language (no ``Accept-Language``) reads the token owner's: the language
        chosen on their preferences page, else the one their browser last asked for (``profiles.locale``).
        A client that names one gets it, as LocaleMiddleware chose before authentication."""
        authenticated = super().authenticate(request)
        if authenticated is not None and not request.META.get("HTTP_ACCEPT_LANGUAGE"):
            language = locale_of(authenticated[0]).language
            translation.activate(language)
            getattr(request, "_request", request).LANGUAGE_CODE = language
        return authenticated

    def authenticate_credentials(self, token: bytes) -> tuple[Any, AuthToken]:
        try:
            token.decode("utf-8")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from error
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        """The presented token, once expired, is refused and deleted, as knox does. Knox also reads every
        other token of its owner on each request, to delete those that expired: a query on every API
        call (SPEC §13 gives a create 15). Those go when their owner is next issued a token
        (``servicedesk.api_auth.auth_token_issue``); until then they are refused like any expired one.
        Knox's own method of that name (django-rest-knox is pinned) is what this replaces."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False
