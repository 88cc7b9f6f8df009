"""Template context shared by every page: the user's access, and which navigation links they get."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from escalation.access import ANONYMOUS, access_of
from identity.two_factor import second_factor_pending

from .views import is_routed


def navigation(request: HttpRequest) -> dict[str, Any]:
    # A page rendered without the middleware (an error page, a test's bare request) is anonymous.
    access = access_of(request) if hasattr(request, "access") else ANONYMOUS
    if not access.authenticated or second_factor_pending(request):
        return {
            "access": access,
            "signed_in": False,
            "nav_is_staff": False,
            "nav_is_manager": False,
            "nav_is_incident_manager": False,
            "nav_is_service_desk": False,
            "nav_has_portal": False,
            "nav_has_dashboard": False,
            "nav_may_review_mail": False,
            "nav_has_knowledge": False,
            "nav_reads_time": False,
        }
    return {
        "access": access,
        "signed_in": True,
        "live_pages": settings.LIVE_PAGES,
        "nav_is_staff": access.is_staff_member,
        "nav_is_service_desk": access.is_service_desk,
        "nav_is_manager": access.is_manager,
        "nav_is_incident_manager": access.is_incident_manager,
        # Links to pages whose app has not landed yet are not shown.
        "nav_has_portal": is_routed("/portal/"),
        "nav_has_dashboard": is_routed("/reporting/"),
        "nav_may_review_mail": access.is_service_desk or access.is_incident_manager,
        "nav_has_knowledge": is_routed("/knowledge/"),
        # The time report (toolkit): managers and the leads of a group.
        "nav_reads_time": access.is_manager or access.is_group_lead,
    }
