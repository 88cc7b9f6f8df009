"""API tokens: hashed at rest, expiring, revocable by their user (API and page) and by an administrator."""

from __future__ import annotations

import datetime as dt
import hashlib

import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.auth.conftest import api_token
from tests.factories import make_user

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def works(token: str) -> bool:
    status = with_token(token).get("/api/v1/notifications/").status_code
    assert status in (200, 401), status
    return status == 200


def test_only_a_digest_of_the_token_is_stored(people):
    token = api_token("alice").json()["token"]
    row = AuthToken.objects.get(user=people["alice"])
    assert row.digest == hashlib.sha512(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        stored = " ".join(str(value) for value in cursor.fetchall()[0])
    assert token not in stored
    assert works(token)


def test_each_exchange_issues_a_new_token_and_the_old_one_keeps_working(people):
    first, second = api_token("alice").json()["token"], api_token("alice").json()["token"]
    assert first != second and works(first) and works(second)


def test_a_token_expires_after_the_configured_days(people):
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    assert ttl == dt.timedelta(days=30)  # the documented default
    with time_machine.travel(START, tick=False) as traveller:
        answer = api_token("alice").json()
        assert dt.datetime.fromisoformat(answer["expiry"]) == START + ttl
        traveller.shift(ttl - dt.timedelta(minutes=1))
        assert works(answer["token"])
        traveller.shift(dt.timedelta(minutes=2))
        response = with_token(answer["token"]).get("/api/v1/notifications/")
    assert response.status_code == 401 and response.json()["detail"] == "Invalid token."


def test_a_persons_expired_tokens_are_deleted_when_they_are_next_issued_one(people):
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    with time_machine.travel(START, tick=False) as traveller:
        old = api_token("alice").json()["token"]
        bobs = api_token("bob").json()["token"]
        traveller.shift(ttl + dt.timedelta(days=1))
        # an expired token is refused whatever else happens
        assert not works(bobs)
        assert AuthToken.objects.filter(user=people["alice"]).count() == 1
        # and when its owner signs in again it goes, the new one kept
        fresh = api_token("alice").json()["token"]
        assert AuthToken.objects.filter(user=people["alice"]).count() == 1
        assert works(fresh) and not works(old)


def test_the_user_revokes_the_token_in_use_and_only_that_one(people):
    kept, revoked = api_token("alice").json()["token"], api_token("alice").json()["token"]
    response = with_token(revoked).post("/api/v1/auth/token/revoke/")
    assert response.status_code == 200 and response.json() == {"revoked": 1}
    assert not works(revoked)
    assert works(kept)


def test_the_user_revokes_all_their_tokens_and_no_one_elses(people):
    mine = [api_token("alice").json()["token"] for _ in range(2)]
    bobs = api_token("bob").json()["token"]
    response = with_token(mine[0]).post("/api/v1/auth/token/revoke-all/")
    assert response.status_code == 200 and response.json() == {"revoked": 2}
    assert not any(works(t) for t in mine)
    assert works(bobs)


def test_revoking_through_a_session_names_what_is_missing(people):
    client = APIClient()
    client.force_login(people["alice"])
    response = client.post("/api/v1/auth/token/revoke/")
    assert response.status_code == 400 and "Authorization: Token" in response.json()["detail"]


def test_a_token_header_that_is_not_utf8_is_a_401(people):
    response = APIClient().get("/api/v1/notifications/", HTTP_AUTHORIZATION="Token \xe9\xff")
    assert response.status_code == 401


def test_the_user_lists_and_revokes_tokens_on_their_page(people):
    token = api_token("alice").json()["token"]
    bobs = api_token("bob").json()["token"]
    alice = Client()
    alice.force_login(people["alice"])
    page = alice.get("/accounts/tokens/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f"<code>{token[:8]}…</code>" in text and bobs[:8] not in text and token not in text

    # someone else's token cannot be revoked from here
    bob_row = AuthToken.objects.get(user=people["bob"])
    refused = alice.post("/accounts/tokens/", {"digest": bob_row.digest}, follow=True)
    assert "not yours" in refused.content.decode() and works(bobs)

    row = AuthToken.objects.get(user=people["alice"])
    response = alice.post("/accounts/tokens/", {"digest": row.digest}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/tokens/"
    assert "Token revoked" in response.content.decode()
    assert "You have no API tokens." in response.content.decode()
    assert not works(token)


def test_the_tokens_page_needs_a_csrf_token_and_a_signed_in_user(people):
    assert Client().get("/accounts/tokens/").status_code == 302
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["alice"])
    token = api_token("alice").json()["token"]
    response = client.post("/accounts/tokens/", {"revoke_all": "1"})
    assert response.status_code == 403 and works(token)


def test_an_administrator_revokes_a_token_in_the_admin_without_seeing_it(people):
    token = api_token("alice").json()["token"]
    admin = make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/knox/authtoken/")
    assert listing.status_code == 200
    assert "alice" in listing.content.decode() and token not in listing.content.decode()

    row = AuthToken.objects.get(user=people["alice"])
    change = client.get(f"/admin/knox/authtoken/{row.pk}/change/")
    assert change.status_code == 200 and token not in change.content.decode()
    response = client.post(f"/admin/knox/authtoken/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not works(token)
