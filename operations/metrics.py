"""Prometheus metrics: the requests (by view) and the product's health figures (``operations.health``).

Request counters live in prometheus-client's registry. Under gunicorn, several worker processes serve
the site: with ``PROMETHEUS_MULTIPROC_DIR`` set (docker-compose.yml does) each process writes its
counters to files there and the endpoint adds them all up (prometheus-client's multiprocess mode;
``operations/gunicorn.py`` empties the folder at start and marks dead workers). Without it (``make
run``, one process) the counters are the process's own. The health figures are read from the database
and the broker at each scrape, the same whichever process answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from . import health

REQUESTS = Counter(
    "servicedesk_http_requests",
    "HTTP requests answered, by view, method and status code.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "servicedesk_http_request_duration_seconds",
    "Time to answer an HTTP request, by view and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def view_name(request: HttpRequest) -> str:
    """The route's name, never the path itself: one series per view, not per incident."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unrouted>"
    return match.view_name or f"{match.func.__module__}.{getattr(match.func, '__name__', 'view')}"


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        view = view_name(request)
        method = (
            request.method if request.method in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} else "OTHER"
        )
        LATENCY.labels(view, method).observe(time.perf_counter() - start)
        REQUESTS.labels(view, method, str(response.status_code)).inc()
        return response


class HealthCollector:
    """The health figures as gauges, read at collection time."""

    def collect(self) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        for figure in health.figures():
            if figure.value is None:
                continue
            family = families.get(figure.metric)
            if family is None:
                family = families[figure.metric] = GaugeMetricFamily(
                    figure.metric, str(figure.label), labels=list(figure.labels)
                )
            family.add_metric(list(figure.labels.values()), figure.value)
        yield from families.values()


def exposition() -> bytes:
    """The text Prometheus scrapes: the requests of every process, then the health figures."""
    if settings.PROMETHEUS_MULTIPROC_DIR:
        requests = CollectorRegistry()
        MultiProcessCollector(requests)
    else:
        requests = REGISTRY
    figures = CollectorRegistry(auto_describe=False)
    figures.register(HealthCollector())
    return generate_latest(requests) + generate_latest(figures)
