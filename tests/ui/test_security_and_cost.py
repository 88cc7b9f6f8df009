"""Who may open the workspace, CSRF, escaping, and the number of queries per page."""

import pytest
from django.test import Client

from incidents import services
from incidents.models import Incident
from tests.factories import PASSWORD, group, make_incident
from tests.ui.conftest import client_for


@pytest.fixture
def incident(agent, alice):
    return make_incident(actor=agent, caller=alice, title="Laptop will not boot")


def staff_urls(number: str) -> list[tuple[str, str]]:
    gets = [
        "/incidents/",
        "/incidents/?queue=open",
        "/incidents/new/",
        "/incidents/callers/?caller=al",
        f"/incidents/{number}/",
        f"/incidents/{number}/edit/",
    ]
    actions = [
        "take",
        "start",
        "assign",
        "escalate",
        "consult",
        "hold",
        "resume",
        "resolve",
        "reopen",
        "close",
        "cancel",
        "link",
        "major",
        "comment",
        "attach",
        "answer",
    ]
    posts = ["/incidents/new/", "/incidents/bulk/", f"/incidents/{number}/edit/"] + [
        f"/incidents/{number}/{a}/" for a in actions
    ]
    return [("get", u) for u in gets] + [("post", u) for u in posts]


@pytest.mark.django_db
def test_an_end_user_gets_403_or_404_on_every_staff_url_even_for_their_own_incident(alice, incident):
    client = client_for(alice)
    for method, url in staff_urls(incident.number):
        response = getattr(client, method)(url, {"version": incident.version, "body": "x", "reason": "x"})
        assert response.status_code in (403, 404), (method, url, response.status_code)
    assert Incident.objects.get(pk=incident.pk).version == incident.version


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(incident):
    for method, url in staff_urls(incident.number):
        response = getattr(Client(), method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url


@pytest.mark.django_db
def test_csrf_is_enforced_on_every_form(agent, incident):
    client = Client(enforce_csrf_checks=True)
    client.login(username=agent.username, password=PASSWORD)
    for url in (
        f"/incidents/{incident.number}/take/",
        f"/incidents/{incident.number}/comment/",
        "/incidents/new/",
        "/incidents/bulk/",
        f"/incidents/{incident.number}/edit/",
    ):
        assert client.post(url, {"version": incident.version, "body": "x"}).status_code == 403, url
    assert Incident.objects.get(pk=incident.pk).version == incident.version
    # With the token the page gave, the same post goes through.
    page = client.get(f"/incidents/{incident.number}/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        f"/incidents/{incident.number}/take/", {"version": incident.version, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_user_text_is_escaped_and_markdown_is_sanitised(agent, alice):
    incident = make_incident(
        actor=agent,
        caller=alice,
        title="<script>alert('t')</script>",
        description=(
            "**bold** <script>alert('d')</script> [x](javascript:alert(1)) <img src=x onerror=alert(2)>"
        ),
    )
    services.incident_comment(
        actor=agent, incident=incident, body="<b onmouseover=alert(3)>hi</b>", public=True
    )
    client = client_for(agent)
    body = client.get(f"/incidents/{incident.number}/").content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in body
    assert "<strong>bold</strong>" in body
    assert "javascript:" not in body and "onerror" not in body and "onmouseover" not in body
    queue = client.get("/incidents/?queue=open").content.decode()
    assert "<script>alert" not in queue and "&lt;script&gt;" in queue


@pytest.mark.django_db
def test_the_queue_page_runs_a_bounded_number_of_queries(agent, alice, django_assert_max_num_queries):
    for i in range(30):
        make_incident(actor=agent, caller=alice, title=f"Incident {i}", assigned_to=agent)
    client = client_for(agent)
    for params in (
        {},
        {"queue": "mine"},
        {"queue": "open", "priority": 3, "q": "incident", "sort": "priority"},
    ):
        with django_assert_max_num_queries(10):
            response = client.get("/incidents/", params)
        assert len(response.context["page"].rows) >= 25


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["agent", "tech", "access_member", "netops"])
def test_the_incident_page_runs_a_bounded_number_of_queries(
    who, request, agent, alice, django_assert_max_num_queries
):
    incident = make_incident(actor=agent, caller=alice, title="Busy incident")
    for i in range(30):
        services.incident_comment(actor=agent, incident=incident, body=f"note {i}", public=bool(i % 2))
    incident.refresh_from_db()
    services.incident_consult(
        actor=agent,
        incident=incident,
        expected_version=incident.version,
        group=group("access"),
        question="Locked?",
    )
    if who == "tech":
        incident.refresh_from_db()
        services.incident_escalate(
            actor=agent,
            incident=incident,
            expected_version=incident.version,
            assignment_group=group("technical-support"),
            reason="tier 2",
        )
    user = request.getfixturevalue(who)
    client = client_for(user)
    with django_assert_max_num_queries(10):
        response = client.get(f"/incidents/{incident.number}/")
    assert response.status_code == 200
    assert len(response.context["timeline"]) >= 30
