"""Take the screenshots of the guides (``make screenshots``) from the demo, so that they stay current.

Starts the embedded default on a throw-away var directory (migrate, ``manage.py seed_demo``, runserver on
a free port; no Celery worker: nothing shown here waits for one), signs in as each demo role in Chromium
through Playwright and writes one PNG per entry of ``SHOTS`` under ``docs/images/``. Staff pages are taken
at 1280x800, the portal at a phone's 390x844. ``pngquant`` (Debian package) shrinks them when installed.

``tests/test_docs.py`` holds the docs and this list together without running a browser: every image the
docs show is one ``SHOTS`` names, and every image ``SHOTS`` names is in the tree and shown somewhere.

    .venv/bin/python scripts/screenshots.py            # every shot
    .venv/bin/python scripts/screenshots.py agent-queue manager-dashboard   # only these
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

REPO_ROOT = Path(__file__).resolve().parent.parent
IMAGES_DIR = REPO_ROOT / "docs" / "images"
PASSWORD = "demo-password"  # noqa: S105 - the demo's published password (SPEC §12)
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Shot:
    name: str  # docs/images/<name>.png
    user: str  # a demo username (SPEC §12)
    path: str  # may name {placeholders} that DEMO_LOOKUP fills from the demo's rows
    phone: bool = False

    @property
    def filename(self) -> str:
        return f"{self.name}.png"


# Every screenshot of the docs, in one list: a name here is a file under docs/images/.
SHOTS: tuple[Shot, ...] = (
    Shot("agent-queue", "agent", "/incidents/"),
    Shot("agent-log-incident", "agent", "/incidents/new/"),
    Shot("agent-incident", "agent", "/incidents/{desk_incident}/"),
    Shot("agent-incoming-mail", "agent", "/intake/"),
    Shot("agent-escalation-register", "agent", "/escalation/"),
    Shot("agent-knowledge", "agent", "/knowledge/"),
    Shot("tech-queue", "tech", "/incidents/"),
    Shot("tech-incident", "tech", "/incidents/{tech_incident}/"),
    Shot("netops-all", "netops", "/incidents/?queue=all"),
    Shot("incidentmgr-sla-rules", "incidentmgr", "/incidents/sla-rules/"),
    Shot("incidentmgr-major-log", "incidentmgr", "/incidents/{major_incident}/major/log/"),
    Shot("incidentmgr-quizzes", "incidentmgr", "/knowledge/quizzes/"),
    Shot("incidentmgr-survey-programmes", "incidentmgr", "/surveys/programmes/"),
    Shot("manager-dashboard", "manager", "/reporting/"),
    Shot("manager-month", "manager", "/reporting/months/{last_month}/"),
    Shot("manager-surveys", "manager", "/surveys/"),
    Shot("admin-home", "admin", "/admin/"),
    Shot("enduser-portal-home", "alice", "/portal/", phone=True),
    Shot("enduser-portal-report", "alice", "/portal/report/", phone=True),
    Shot("enduser-portal-incident", "alice", "/portal/incidents/{alice_incident}/", phone=True),
)

# Run by `manage.py shell` on the demo database: the rows the paths above name. Models by app label,
# so that it survives code moving between modules.
DEMO_LOOKUP = """
import json
from datetime import date, timedelta
from django.apps import apps
Incident = apps.get_model("incidents", "Incident")
working = ("assigned", "in_progress")
def newest(**where):
    row = Incident.objects.filter(**where).order_by("-created_at").values_list("number", flat=True).first()
    if row is None:
        raise SystemExit(f"no demo incident with {where}")
    return row
last = date.today().replace(day=1) - timedelta(days=1)
print(json.dumps({
    "desk_incident": newest(assignment_group__slug="service-desk", status__in=working, major_incident=False),
    "tech_incident": newest(assignment_group__slug="technical-support", status__in=working),
    "major_incident": newest(major_incident=True, status__in=("new", *working)),
    "alice_incident": newest(caller__username="alice", status__in=("new", *working, "on_hold")),
    "last_month": last.strftime("%Y-%m"),
}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _embedded_env(var_dir: Path, port: int) -> dict[str, str]:
    # Only what a shell needs: a DATABASE_URL or broker exported by scripts/services.sh would otherwise
    # take the screenshots from another database than the embedded default's.
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}}
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings.dev",
        "SERVICEDESK_VAR_DIR": str(var_dir),
        "PORT": str(port),
    }


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args[:1])} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def _wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the web server exited before answering")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the web server did not answer on {url} within {timeout:.0f} s")


def _optimise(path: Path) -> None:
    pngquant = shutil.which("pngquant")
    if pngquant is None:
        return
    # Exit 98/99: the quantised file would be larger or worse; the original stays, which is fine.
    subprocess.run(
        [pngquant, "--force", "--skip-if-larger", "--strip", "--output", str(path), str(path)],
        check=False,
    )


def take(shots: tuple[Shot, ...], base_url: str, arguments: dict[str, str]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    IMAGES_DIR.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        by_context: dict[tuple[str, bool], list[Shot]] = {}
        for shot in shots:
            by_context.setdefault((shot.user, shot.phone), []).append(shot)
        for (user, phone), group in by_context.items():
            context = browser.new_context(
                viewport=PHONE if phone else DESKTOP, device_scale_factor=1, locale="en-GB"
            )
            page = context.new_page()
            page.goto(f"{base_url}/accounts/login/")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PASSWORD)
            page.click("form button[type=submit]")
            page.wait_for_load_state("networkidle")
            if "/accounts/login/" in page.url:
                raise SystemExit(f"{user} could not sign in")
            for shot in group:
                response = page.goto(base_url + shot.path.format(**arguments), wait_until="networkidle")
                if response is None or response.status >= 400:
                    status = response.status if response else "no response"
                    raise SystemExit(f"{shot.name}: {shot.path} answered {status}")
                target = IMAGES_DIR / shot.filename
                page.screenshot(path=str(target))
                _optimise(target)
                written.append(target)
                print(f"screenshots: {target.relative_to(REPO_ROOT)}")
            context.close()
        browser.close()
    return written


def main(argv: list[str]) -> int:
    wanted = set(argv)
    unknown = wanted - {shot.name for shot in SHOTS}
    if unknown:
        print(f"screenshots: no such shot: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    shots = tuple(shot for shot in SHOTS if not wanted or shot.name in wanted)
    with tempfile.TemporaryDirectory(prefix="servicedesk-screenshots-") as tmp:
        var_dir = Path(tmp)
        for sub in ("new", "cur", "tmp", "failed"):
            (var_dir / "inbox" / sub).mkdir(parents=True)
        port = _free_port()
        env = _embedded_env(var_dir, port)
        print("screenshots: migrating and loading the demo (a few minutes)")
        _manage(env, "migrate", "--noinput")
        _manage(env, "seed_demo")
        arguments = json.loads(_manage(env, "shell", "-c", DEMO_LOOKUP).strip().splitlines()[-1])
        base_url = f"http://127.0.0.1:{port}"
        with (var_dir / "runserver.log").open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_until_up(base_url, server)
                take(shots, base_url, arguments)
            finally:
                server.terminate()
                server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
