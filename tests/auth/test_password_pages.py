"""The account pages in the product's look (not the Django admin's): change and reset a password."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-Long-passphrase-42"


def test_a_signed_in_person_changes_their_password_on_the_products_pages(client):
    alice = make_user("alice", email="alice@example.org")
    client.force_login(alice)
    page = client.get("/accounts/password_change/")
    html = page.content.decode()
    assert page.status_code == 200 and "<title>Change your password · Service desk</title>" in html
    assert "admin/css" not in html and 'class="breadcrumbs"' not in html
    done = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your password is changed." in done.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_a_forgotten_password_is_reset_through_the_mailed_link(client):
    alice = make_user("alice", email="alice@example.org")
    form = client.get("/accounts/password_reset/").content.decode()
    assert "<title>Reset your password · Service desk</title>" in form and "admin/css" not in form
    sent = client.post("/accounts/password_reset/", {"email": "alice@example.org"}, follow=True)
    assert "Check your email" in sent.content.decode()
    [message] = mail.outbox
    link = re.search(r"http://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)
    choose = client.get(link, follow=True)
    assert "Choose a new password" in choose.content.decode()
    finished = client.post(
        choose.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your new password is set." in finished.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    # the link works once
    assert "This link no longer works" in client.get(link, follow=True).content.decode()
