"""A token client that names no language reads its owner's (issue 21 §3): the API's messages in the language
chosen on the preferences page, unless the client asks for one with Accept-Language."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext

from profiles.models import Profile

pytestmark = pytest.mark.django_db


def _required(language: str) -> str:
    """DRF's "This field is required." as this project's catalogues word it in ``language``."""
    with translation.override(language):
        return gettext("This field is required.")


REQUIRED = {language: _required(language) for language in ("de", "fr", "en")}


def _refused(client, **headers):
    response = client.post("/api/v1/incidents/", {}, format="json", **headers)
    assert response.status_code == 400
    return response["Content-Language"], response.content.decode()


def test_a_token_client_without_accept_language_reads_its_owners_language(clients, people):
    Profile.objects.create(user=people["agent"], language="de")
    Profile.objects.create(user=people["tech"], browser_language="fr")  # never chose: the browser's

    language, body = _refused(clients["agent"])
    assert language == "de" and REQUIRED["de"] in body
    language, body = _refused(clients["agent"], HTTP_ACCEPT_LANGUAGE="fr")  # the client asks: it is heard
    assert language == "fr" and REQUIRED["fr"] in body
    language, body = _refused(clients["tech"])
    assert language == "fr" and REQUIRED["fr"] in body
    language, body = _refused(clients["netops"])  # no profile: the organisation's language
    assert language.startswith("en") and REQUIRED["en"] in body
