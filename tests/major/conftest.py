from __future__ import annotations

from django.test import Client


def client_for(user) -> Client:
    """A signed-in test client, without the password hasher's cost."""
    client = Client()
    client.force_login(user)
    return client
