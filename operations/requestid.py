"""A request id on every log line, from the web request into the Celery tasks it queued.

The middleware takes the id from the ``X-Request-ID`` header a proxy set (when it looks like one) or makes
one, keeps it in a context variable for the request, and answers it in the same header. Publishing a task
copies the current id into the task's headers (``before_task_publish``); the worker puts it back in the
context variable while the task runs (``task_prerun``/``task_postrun``), so the task's lines, and the tasks
it queues in turn, carry the id of the request that started the work. ``RequestIdFilter`` puts it on every
log record as ``request_id`` ("-" outside any request or task).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
TASK_HEADER = "servicedesk_request_id"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current() -> str | None:
    return request_id.get()


def new_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        rid = given if _VALID.match(given) else new_id()
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = rid
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


def _on_publish(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    rid = request_id.get()
    if rid and headers is not None:
        headers[TASK_HEADER] = rid


_task_tokens: dict[str, Any] = {}


def _on_prerun(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    rid = getattr(getattr(task, "request", None), TASK_HEADER, None)
    if task_id:
        _task_tokens[task_id] = request_id.set(rid if isinstance(rid, str) and _VALID.match(rid) else None)


def _on_postrun(task_id: str | None = None, **kwargs: Any) -> None:
    token = _task_tokens.pop(task_id or "", None)
    if token is not None:
        try:
            request_id.reset(token)
        except ValueError:  # set in another context (a thread pool): leave it, the next task sets its own
            request_id.set(None)


def connect_celery_signals() -> None:
    before_task_publish.connect(_on_publish, weak=False, dispatch_uid="operations.requestid.publish")
    task_prerun.connect(_on_prerun, weak=False, dispatch_uid="operations.requestid.prerun")
    task_postrun.connect(_on_postrun, weak=False, dispatch_uid="operations.requestid.postrun")
