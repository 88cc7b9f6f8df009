"""The full-text search of the queue and the API takes a plan that stays fast whether its words are
common or rare together (issue 25 §6; ``selectors.incidents_search``, figures in
docs/operations/scaling.md).

4,000 incidents after ANALYZE: "vpn" and "slow" each in half of them but together in three (the case
where the planner, multiplying the words' frequencies, walks ``inc_created_id`` over the whole
table), "printer toner" together in a quarter (common: the newest-first walk finds a page at once).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from escalation.access import access_for
from incidents import selectors
from incidents.models import Category, Incident
from incidents.records.queues import ROW_FIELDS, queue_queryset
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

ROWS = 4000


@pytest.fixture
def many(agent):
    first = make_incident(actor=agent, title="vpn slow first", description="")
    columns = [
        f.column
        for f in Incident._meta.concrete_fields
        if f.column not in ("id", "number", "title", "created_at")
    ]
    listed = ", ".join(columns)
    # Row i: "vpn" when i is even, "slow" when odd, both for i in 1..3; "printer toner" every fourth.
    title = (
        "concat_ws(' ', CASE WHEN mod(i, 2) = 0 OR i <= 3 THEN 'vpn' END,"
        " CASE WHEN mod(i, 2) = 1 OR i <= 3 THEN 'slow' END,"
        " CASE WHEN mod(i, 4) = 0 THEN 'printer toner' END,"
        " 'case ' || i)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO incidents_incident (number, title, created_at, {listed})"  # noqa: S608
            f" SELECT 'INCS' || i, {title}, created_at - i * interval '1 minute', {listed}"
            " FROM incidents_incident, generate_series(1, %s) AS i WHERE id = %s",
            [ROWS, first.pk],
        )
        cursor.execute("ANALYZE incidents_incident")
    return first


def _plan(sql: str, params: list, *, bitmap_only: bool = False) -> str:
    with connection.cursor() as cursor:
        if bitmap_only:  # as ``selectors._few_matches`` plans its probe
            cursor.execute("SET enable_seqscan = off; SET enable_indexscan = off")
        try:
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan; RESET enable_indexscan")


def _page(agent, q: str):
    qs = selectors.incidents_search(queue_queryset(access_for(agent), "all", groups=[]), q)
    return qs.only(*ROW_FIELDS).order_by("-created_at", "-id")[:50]


def test_words_rare_together_are_found_through_the_text_search_index_not_by_walking_the_table(many, agent):
    assert connection.vendor == "postgresql"
    probe = _plan(selectors.SEARCH_PROBE, [selectors.SEARCH_WALK, "vpn slow"], bitmap_only=True)
    assert "inc_search_tsv" in probe and "Seq Scan on incidents_incident" not in probe

    page = _page(agent, "vpn slow")
    sql, params = page.query.sql_with_params()
    plan = _plan(sql, list(params))
    assert "inc_created_id" not in plan and "Seq Scan on incidents_incident" not in plan, plan
    expected = ["INCS1", "INCS2", "INCS3"]
    assert [i.number for i in page] == [many.number, *expected]


def test_common_words_still_page_newest_first_with_the_cursor_through_the_api(many, agent):
    assert selectors._few_matches("printer toner") is None  # 1,000 matches: more than the bound
    assert selectors._few_matches("vpn") is None
    with connection.cursor() as cursor:  # the probe puts the planner's settings back
        cursor.execute("SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan')")
        assert cursor.fetchone() == ("on", "on")
    plan = _plan(selectors.SEARCH_PROBE, [selectors.SEARCH_WALK, "printer toner"], bitmap_only=True)
    assert "inc_search_tsv" in plan

    api = APIClient()
    api.force_authenticate(agent)
    first = api.get("/api/v1/incidents/", {"q": "printer toner"}).json()
    second = api.get(first["next"]).json()
    numbers = [row["number"] for row in first["results"] + second["results"]]
    assert numbers == [f"INCS{i}" for i in range(4, 4 * (len(numbers) + 1), 4)]


def test_the_queue_page_finds_few_matches_and_keeps_the_visibility_rule(many, agent, alice):
    security = Category.objects.get(slug="security", parent__isnull=True)
    hidden = make_incident(actor=alice, caller=alice, title="vpn slow phishing", category=security)
    client = APIClient()
    client.force_login(agent)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/incidents/", {"queue": "all", "q": "vpn slow"}).content.decode()
    assert "INCS3" in page and many.number in page
    assert hidden.number not in page and "phishing" not in page
    assert any("websearch_to_tsquery" in q["sql"] and "LIMIT (SELECT n + 1" in q["sql"] for q in queries)
    assert len(queries) <= 10 + 5  # SPEC §13's ten, and the probe's transaction and settings


def test_one_common_word_takes_the_newest_first_walk_without_the_probe(many, agent):
    # given "vpn" in half of the incidents, "phishing" in none and "slow vpn" common word by word
    assert selectors._one_common_word("vpn") and not selectors._one_common_word("phishing")
    assert not selectors._one_common_word("vpn slow")  # several words: the estimate cannot be trusted
    # when the queue is searched for the one common word
    with CaptureQueriesContext(connection) as queries:
        page = list(_page(agent, "vpn"))
    # then the text-search index is not read for every match: the page is the newest matches
    assert not any("LIMIT (SELECT n + 1" in q["sql"] for q in queries)
    assert [i.number for i in page[:3]] == [many.number, "INCS1", "INCS2"]
    sql, params = _page(agent, "vpn").query.sql_with_params()
    assert "inc_created_id" in _plan(sql, list(params))
