"""Opt-in request profiling for ``make bench`` (``BENCH_PROFILE=1``; never installed otherwise).

Each response carries a ``Server-Timing`` header with the server time of the request, the time spent
in SQL and the number of SQL statements it ran, so that a load generator outside the process can
record them beside its own latency::

    Server-Timing: app;dur=12.345, cpu;dur=9.870, sql;dur=3.210;desc="9", worker;desc="4242"

``cpu`` is the CPU time of the request's own thread: what ``app`` holds beyond it and the SQL is waiting
(for the GIL behind the process's other threads, for a pooled connection, for a core). ``desc`` of
``sql`` is the query count, of ``worker`` the serving process (so that the bench can warm every gunicorn
worker before it measures). It counts every statement on the request's database
connection, the session and user look-ups of the middleware included.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse


class QueryTimer:
    """A database execute wrapper that counts the queries it sees and adds up their time."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.count += 1


class ProfileMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timer = QueryTimer()
        start, cpu_start = time.perf_counter(), time.thread_time()
        with connections["default"].execute_wrapper(timer):
            response = self.get_response(request)
        total_ms = (time.perf_counter() - start) * 1000
        cpu_ms = (time.thread_time() - cpu_start) * 1000
        response["Server-Timing"] = (
            f"app;dur={total_ms:.3f}, cpu;dur={cpu_ms:.3f}, "
            f'sql;dur={timer.seconds * 1000:.3f};desc="{timer.count}", '
            f'worker;desc="{os.getpid()}"'
        )
        return response
