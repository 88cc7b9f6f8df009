"""A real OpenID provider process on loopback for the tests (tests/identity/oidc_provider.py): the fixture
``oidc_provider_for`` and a sign-in through it with the test client."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.workers import REPO_ROOT

CLIENT_ID = "service-desk"
CLIENT_SECRET = "test-client-secret-" + "s" * 20
PASSWORD = "provider-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Provider:
    url: str
    users_file: Path
    people: dict[str, Any]

    def person(
        self, username: str, *, groups: list[str], email: str = "", given: str = "", family: str = ""
    ) -> None:
        self.people[username] = {
            "password": PASSWORD,
            "email": email or f"{username}@example.org",
            "given_name": given or username.title(),
            "family_name": family or "Directory",
            "groups": groups,
        }
        self.users_file.write_text(json.dumps({"users": self.people}))

    def set_groups(self, username: str, groups: list[str]) -> None:
        self.people[username]["groups"] = groups
        self.users_file.write_text(json.dumps({"users": self.people}))

    def settings_for(self, settings: Any) -> None:
        """Points the service desk (pytest-django's ``settings``) at this provider."""
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
        settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{self.url}/o/authorize/"
        settings.OIDC_OP_TOKEN_ENDPOINT = f"{self.url}/o/token/"
        settings.OIDC_OP_USER_ENDPOINT = f"{self.url}/o/userinfo/"
        settings.OIDC_OP_JWKS_ENDPOINT = f"{self.url}/o/.well-known/jwks.json"
        settings.OIDC_PROVIDER_NAME = "Test provider"
        settings.AUTHENTICATION_BACKENDS = [
            *settings.AUTHENTICATION_BACKENDS,
            "identity.oidc.DirectoryOIDCBackend",
        ]


def start_provider(
    tmp_path: Path, redirect_uri: str, people: dict[str, Any]
) -> tuple[subprocess.Popen, Provider]:
    port = free_port()
    users_file = tmp_path / "op-users.json"
    users_file.write_text(json.dumps({"users": people}))
    log = (tmp_path / "op.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            str(REPO_ROOT / "tests" / "identity" / "oidc_provider.py"),
            str(port),
            str(users_file),
            CLIENT_ID,
            CLIENT_SECRET,
            redirect_uri,
            str(tmp_path),
        ],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{url}/o/.well-known/openid-configuration", timeout=2).ok:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(
                f"the test OpenID provider did not start:\n{(tmp_path / 'op.log').read_text()}"
            )
        time.sleep(0.2)
    return process, Provider(url=url, users_file=users_file, people=people)


@pytest.fixture
def oidc_provider_for(tmp_path: Path) -> Iterator[Any]:
    """``oidc_provider_for(base_url)`` starts a provider whose client redirects to ``base_url``."""
    processes: list[subprocess.Popen] = []

    def start(base_url: str) -> Provider:
        process, provider = start_provider(tmp_path, f"{base_url}/oidc/callback/", {})
        processes.append(process)
        return provider

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def sign_in_through(client: Any, provider: Provider, username: str) -> Any:
    """A whole authorization-code sign-in: Django's test client for the service desk, an HTTP session
    for the provider (its sign-in form, its redirect back with the code). Returns the callback's answer."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302, start
    browser = requests.Session()
    to_login = browser.get(start["Location"], allow_redirects=False)
    assert to_login.status_code == 302 and "/login/" in to_login.headers["Location"], to_login.text
    login_url = provider.url + to_login.headers["Location"]
    browser.get(login_url)
    signed_in = browser.post(
        login_url,
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["op_csrftoken"],
        },
        headers={"Referer": login_url},
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text
    back = browser.get(provider.url + signed_in.headers["Location"], allow_redirects=False)
    assert back.status_code == 302, back.text
    callback = back.headers["Location"]
    assert callback.startswith("http://testserver/oidc/callback/?"), callback
    return client.get(callback.removeprefix("http://testserver"))
