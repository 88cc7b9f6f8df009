"""Tags in the queue's rows and its CSV, and in the month's incident CSV (issue 23 §5): read with the
page's own query, so that a page of tagged incidents costs what an untagged one does."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_incident
from toolkit import services

pytestmark = pytest.mark.django_db


def _queries(client, path, params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(captured), response


def test_queue_rows_show_their_tags_in_the_same_number_of_queries(client, agent):
    incidents = [make_incident(actor=agent, title=f"Printer {n}") for n in range(4)]
    client.force_login(agent)
    params = {"queue": "all"}
    _queries(client, "/incidents/", params)  # warm the per-process caches
    untagged, _ = _queries(client, "/incidents/", params)

    for n, incident in enumerate(incidents):
        for name in ("printer", f"floor-{n}", "vip"):
            services.tag_add(actor=agent, incident=incident, name=name)
    tagged, response = _queries(client, "/incidents/", params)

    assert tagged == untagged
    page = response.content.decode()
    assert page.count('data-testid="row-tags"') == 4
    assert ">floor-3</span>" in page and ">vip</span>" in page

    csv = b"".join(client.get("/incidents/", {**params, "format": "csv"}).streaming_content).decode()
    lines = csv.splitlines()
    assert lines[0].endswith(",tags")
    assert any(
        line.startswith(incidents[0].number) and line.endswith(",floor-0 printer vip") for line in lines
    )
