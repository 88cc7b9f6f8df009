"""API tokens (django-rest-knox): ``POST /api/v1/auth/token/`` trades a username and password for a token.

Only a SHA-512 digest of each token is stored (and its first 15 characters, to find the row). A token
expires ``API_TOKEN_TTL_DAYS`` after it was issued; its user revokes it through the API or on the
"API tokens" page, an administrator in the admin (Knox › Auth tokens). Every exchange is a sign-in
attempt for django-axes: failures count towards the same lockout as the browser's.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, user_logged_in
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import E400, E401, E429, NON_FIELD, validation_error_body
from core.api.fields import IsoDateTimeField
from core.api.throttles import TokenThrottle
from identity.two_factor import second_factor_passes


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "servicedesk.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")  # noqa: S106 (a scheme name)


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy(
            "The authentication code (or a recovery code), for an account with two-factor sign-in."
        ),
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text=gettext_lazy("Send as `Authorization: Token <token>`. Shown only once.")
    )
    expiry = IsoDateTimeField(
        help_text=gettext_lazy("When the token stops working; request a new one before then.")
    )


class RevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text=gettext_lazy("How many tokens were revoked."))


def auth_token_issue(*, user: Any) -> tuple[AuthToken, str]:
    """A new token for the user: the row (digest only) and the token itself, which is not stored. The
    user's tokens that have expired are deleted first (``servicedesk.authentication``)."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    return AuthToken.objects.create(user=user)


def auth_tokens_of(*, user: Any) -> QuerySet[AuthToken]:
    """The user's own tokens, newest first (the admin lists everyone's)."""
    return AuthToken.objects.filter(user=user).order_by("-created")


def auth_token_revoke(*, user: Any, digest: str) -> int:
    """Revoke one of the user's tokens; the number revoked (0 when it was not theirs or is gone)."""
    deleted, _ = AuthToken.objects.filter(user=user, digest=digest).delete()
    return deleted


def auth_token_revoke_all(*, user: Any) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


def _refused(fields: dict[str, Any]) -> Response:
    """The API's 400 (core.api.errors), answered rather than raised: raising would roll back the
    request's transaction, and with it the failed attempt django-axes just recorded."""
    return Response(validation_error_body(fields), status=status.HTTP_400_BAD_REQUEST)


class TokenObtainApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenThrottle]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Obtain an API token",
        description="Each call issues a new token, valid for `API_TOKEN_TTL_DAYS` (30 by default). "
        "Failed attempts count towards the sign-in lockout, per username and address.",
        request=TokenInputSerializer,
        responses={200: TokenSerializer, 400: E400, 429: E429},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenInputSerializer(data=request.data)
        if not data.is_valid():
            return _refused(dict(data.errors))
        # django-axes refuses a locked-out pair here; its middleware then answers 429 (servicedesk.signin).
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            return _refused({NON_FIELD: ["Unable to log in with these credentials."]})
        # The password alone is not enough for an account with two-factor sign-in (identity.two_factor).
        if not second_factor_passes(user=user, code=data.validated_data.get("otp", "")):
            return _refused({"otp": ["Enter the authentication code of your two-factor sign-in."]})
        # A sign-in like the browser's: resets the failure count and records last_login.
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        instance, token = auth_token_issue(user=user)
        return Response(TokenSerializer({"token": token, "expiry": instance.expiry}).data)


class TokenRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_token_revoke",
        summary="Revoke the token this request is authenticated with",
        request=None,
        responses={200: RevokedSerializer, 400: E400, 401: E401},
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.auth, AuthToken):
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        gettext("Authenticate with the token to revoke (Authorization: Token …).")
                    ]
                }
            )
        return Response({"revoked": auth_token_revoke(user=request.user, digest=request.auth.digest)})


class TokenRevokeAllApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_token_revoke_all",
        summary="Revoke every API token of the signed-in user",
        request=None,
        responses={200: RevokedSerializer, 401: E401},
    )
    def post(self, request: Request) -> Response:
        return Response({"revoked": auth_token_revoke_all(user=request.user)})
