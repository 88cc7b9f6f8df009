"""Template context shared by every page: which navigation links the signed-in user gets."""

from typing import Any

from django.http import HttpRequest

from escalation import roles

from .views import is_routed


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "nav_is_staff": False,
            "nav_is_manager": False,
            "nav_is_incident_manager": False,
            "nav_is_service_desk": False,
            "nav_has_portal": False,
            "nav_has_dashboard": False,
            "nav_may_review_mail": False,
            "nav_has_knowledge": False,
        }
    return {
        "nav_is_staff": roles.is_staff_member(user),
        "nav_is_service_desk": roles.is_service_desk(user),
        "nav_is_manager": roles.is_manager(user),
        "nav_is_incident_manager": roles.is_incident_manager(user),
        # Links to pages whose app has not landed yet are not shown.
        "nav_has_portal": is_routed("/portal/"),
        "nav_has_dashboard": is_routed("/reporting/"),
        "nav_may_review_mail": roles.is_service_desk(user) or roles.is_incident_manager(user),
        "nav_has_knowledge": is_routed("/knowledge/"),
    }
