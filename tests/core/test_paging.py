"""core.paging: keyset pages over a real table, in mixed directions, with ties and forged cursors."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import paging
from incidents.models import Incident
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

MIXED = ("priority", "-created_at")  # ascending then descending, the id is appended


@pytest.fixture
def rows(agent):
    """Seventeen incidents with many ties: three priorities, four distinct creation times."""
    start = timezone.now() - timedelta(hours=2)
    for n in range(17):
        make_incident(actor=agent, impact=1 + n % 3, urgency=1 + n % 2, now=start + timedelta(minutes=n % 4))
    return Incident.objects.all()


def walk(qs, ordering, size):
    pages, cursor = [], None
    while True:
        page = paging.paginate(qs, ordering, cursor=cursor, size=size)
        pages.append(page)
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def expected(qs, ordering):
    return [i.pk for i in paging.order(qs, ordering)]


@pytest.mark.parametrize("ordering", [MIXED, ("-created_at",), ("created_at", "-id"), ("-number",)])
@pytest.mark.parametrize("size", [1, 4, 17, 50])
def test_forward_pages_see_every_row_once_in_order(rows, ordering, size):
    pages = walk(rows, ordering, size)
    seen = [i.pk for p in pages for i in p.rows]
    assert seen == expected(rows, ordering)
    assert all(0 < len(p.rows) <= size for p in pages)
    assert pages[0].previous_cursor is None


def test_mixed_directions_order_by_priority_then_newest_then_highest_id(rows):
    seen = [i for p in walk(rows, MIXED, 5) for i in p.rows]
    keys = [(i.priority, -i.created_at.timestamp(), -i.pk) for i in seen]
    assert keys == sorted(keys)
    assert len({i.created_at for i in seen}) == 4 and len(seen) == 17  # ties were there to break


def test_ties_are_broken_by_the_id(rows):
    Incident.objects.update(created_at=timezone.now())  # every row ties on the only named column
    assert paging.columns_for(Incident, ("created_at",))[-1].name == "id"
    seen = [i.pk for p in walk(rows, ("created_at",), 3) for i in p.rows]
    assert seen == sorted(seen)


def test_previous_cursors_walk_back_through_the_same_pages(rows):
    forward = walk(rows, MIXED, 4)
    page = forward[-1]
    back = [page]
    while page.previous_cursor:
        page = paging.paginate(rows, MIXED, cursor=page.previous_cursor, size=4)
        back.append(page)
    assert [[i.pk for i in p.rows] for p in reversed(back)] == [[i.pk for i in p.rows] for p in forward]
    assert back[-1].next_cursor == forward[0].next_cursor


def test_the_last_page_has_no_next_even_when_it_is_full(rows):
    pages = walk(rows.filter(pk__in=list(rows.values_list("pk", flat=True)[:8])), ("-created_at",), 4)
    assert [len(p.rows) for p in pages] == [4, 4]
    assert pages[-1].next_cursor is None and pages[-1].previous_cursor is not None


def test_an_empty_queryset_is_one_empty_page():
    page = paging.paginate(Incident.objects.none(), MIXED, cursor=None, size=10)
    assert page.rows == [] and page.next_cursor is None and page.previous_cursor is None


def test_a_page_is_one_query_without_offset(rows):
    first = paging.paginate(rows, MIXED, cursor=None, size=5)
    with CaptureQueriesContext(connection) as ctx:
        paging.paginate(rows, MIXED, cursor=first.next_cursor, size=5)
    assert len(ctx.captured_queries) == 1
    assert "OFFSET" not in ctx.captured_queries[0]["sql"] and "LIMIT 6" in ctx.captured_queries[0]["sql"]


def _token(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!!",
        "%00%00",
        _token({"p": 1}),
        _token(["n", "1", "2020-01-01T00:00:00+00:00"]),  # one value short
        _token(["x", "1", "2020-01-01T00:00:00+00:00", "5"]),  # unknown direction
        _token(["n", 1, "2020-01-01T00:00:00+00:00", "5"]),  # not a string
        _token(["n", "1", "not-a-date", "5"]),
        _token(["n", "1", "2020-01-01T00:00:00", "5"]),  # naive: ambiguous
        _token(["n", "1", "2020-01-01T00:00:00+00:00", "5\x00"]),
        _token(["n", "1", "2020-01-01T00:00:00+00:00", "99999999999999999999999"]),
        _token(["n", "one", "2020-01-01T00:00:00+00:00", "5"]),
    ],
)
def test_a_forged_cursor_is_refused_before_any_query(cursor):
    with CaptureQueriesContext(connection) as ctx, pytest.raises(paging.InvalidCursor):
        paging.paginate(Incident.objects.all(), MIXED, cursor=cursor, size=5)
    assert ctx.captured_queries == []


def test_a_cursor_of_our_making_but_pointing_nowhere_is_an_empty_page_or_the_first(rows):
    after_all = _token(["n", "9", "2000-01-01T00:00:00+00:00", "1"])
    assert paging.paginate(rows, MIXED, cursor=after_all, size=5).rows == []
    before_all = _token(["p", "0", "2999-01-01T00:00:00+00:00", "1"])
    first = paging.paginate(rows, MIXED, cursor=None, size=5)
    assert paging.paginate(rows, MIXED, cursor=before_all, size=5).rows == first.rows


def test_an_ordering_that_could_skip_rows_is_a_programming_error():
    with pytest.raises(ImproperlyConfigured):
        paging.columns_for(Incident, ("resolved_at",))  # nullable
    with pytest.raises(ImproperlyConfigured):
        paging.columns_for(Incident, ("nope",))
    with pytest.raises(ImproperlyConfigured):
        paging.columns_for(Incident, ())
