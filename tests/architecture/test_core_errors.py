"""core.api.errors answers any DomainError from what the error carries, without knowing the app."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.views import APIView

from core.api.errors import api_exception_handler
from core.errors import DomainError
from incidents.errors import IncidentError, TransitionNotAllowed, VersionConflict


class QuotaExceeded(DomainError):
    """An error of an app the handler has never heard of."""

    status_code = 422

    def payload(self) -> dict[str, Any]:
        return {"limit": 3}


def _answer(exc: Exception):
    return api_exception_handler(exc, {"view": APIView(), "request": None})


@pytest.mark.django_db
def test_a_domain_error_of_any_app_answers_with_its_own_status_and_payload() -> None:
    response = _answer(QuotaExceeded("At most 3 open surveys."))
    assert response is not None
    assert response.status_code == 422
    assert response.data == {"detail": "At most 3 open surveys.", "limit": 3}


@pytest.mark.django_db
def test_the_incident_errors_keep_the_409_contract() -> None:
    assert issubclass(IncidentError, DomainError)
    moved = _answer(
        TransitionNotAllowed(number="INC0000001", action="close", status="new", allowed_from=["resolved"])
    )
    assert moved is not None and moved.status_code == 409
    assert list(moved.data) == ["detail"]
    assert moved.data["detail"].startswith("INC0000001 is new: it cannot be closed now.")
    stale = _answer(
        VersionConflict(number="INC0000001", expected=1, current=3, changes=["status: new → in progress"])
    )
    assert stale is not None and stale.status_code == 409
    assert list(stale.data) == ["detail", "current_version"]
    assert stale.data["current_version"] == 3
