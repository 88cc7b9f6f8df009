"""The API's token authentication (``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``).

Kept apart from the views: DRF imports authentication classes while ``rest_framework.views`` loads.
"""

from __future__ import annotations

from typing import Any

from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from rest_framework import exceptions


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's hashed, expiring tokens, sent as ``Authorization: Token <token>``.

    A header that is not UTF-8 is an invalid token (401), not a server error.
    """

    def authenticate_credentials(self, token: bytes) -> tuple[Any, AuthToken]:
        try:
            token.decode("utf-8")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed("Invalid token.") from error
        return super().authenticate_credentials(token)
