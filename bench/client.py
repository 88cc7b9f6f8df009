"""The load generator's HTTP side: stdlib http.client, one keep-alive connection per client.

It reads the server's ``Server-Timing`` header (``servicedesk.profiling``, ``BENCH_PROFILE=1``) for the
server time, the SQL time and the SQL query count of every request.
"""

from __future__ import annotations

import http.client
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

_WORKER = re.compile(r'worker;desc="(\d+)"')
_METRIC = re.compile(r'(\w+);dur=([0-9.]+)(?:;desc="(\d+)")?')


@dataclass
class Sample:
    status: int
    client_ms: float
    server_ms: float | None
    sql_ms: float | None
    sql_queries: int | None
    body: bytes = b""
    worker: str = ""
    cpu_ms: float | None = None  # the request thread's CPU time (servicedesk.profiling)


@dataclass
class Identity:
    """How one role signs its requests: a session cookie (pages) or an API token."""

    name: str
    cookie: str = ""
    token: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def as_headers(self) -> dict[str, str]:
        out = dict(self.headers)
        if self.cookie:
            out["Cookie"] = self.cookie
        if self.token:
            out["Authorization"] = f"Token {self.token}"
        return out


def server_timings(value: str | None) -> dict[str, float | int]:
    """``app``, ``cpu`` and ``sql`` in ms, and ``sql_count``, as far as the header gives them."""
    out: dict[str, float | int] = {}
    for name, dur, desc in _METRIC.findall(value or ""):
        out[name] = float(dur)
        if name == "sql" and desc:
            out["sql_count"] = int(desc)
    return out


class Client:
    def __init__(self, host: str, port: int, identity: Identity, timeout: float = 120.0) -> None:
        self.host, self.port, self.identity, self.timeout = host, port, identity, timeout
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def request(self, method: str, path: str, body: Any = None) -> Sample:
        headers = {"Host": "127.0.0.1", **self.identity.as_headers()}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            conn = self._connection()
            start = time.perf_counter()
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt:
                    raise
                continue
            client_ms = (time.perf_counter() - start) * 1000
            timing = response.getheader("Server-Timing")
            timings = server_timings(timing)
            app, cpu, sql, count = (timings.get(k) for k in ("app", "cpu", "sql", "sql_count"))
            worker = _WORKER.search(timing or "")
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return Sample(
                response.status,
                client_ms,
                app,
                sql,
                int(count) if count is not None else None,
                payload,
                worker.group(1) if worker else "",
                cpu,
            )
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
