"""The embedded default's settings (servicedesk.settings.dev), imported for real in a subprocess."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.workers import REPO_ROOT


def _run_dev(tmp_path, script: str, **env: str) -> str:
    base = {"PATH": os.environ.get("PATH", ""), "SERVICEDESK_VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + textwrap.dedent(script)],
        cwd=REPO_ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "servicedesk.settings.dev", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PORT": "18765"}, "http://127.0.0.1:18765"),
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "18765", "SITE_URL": "https://desk.example.org/"}, "https://desk.example.org"),
    ],
)
def test_mail_links_follow_the_port_make_run_serves_on_unless_site_url_is_set(tmp_path, env, expected):
    out = _run_dev(tmp_path, "from django.conf import settings; print(settings.SITE_URL)", **env)
    assert out.strip() == expected


def test_two_connections_doing_read_modify_write_neither_fail_nor_lose_an_update(tmp_path):
    # given the embedded default's database, and a transaction that reads a counter, waits a
    # little (as a view or a task does between its reads and its write), then writes it back
    script = """
        import json, threading, time
        from django.db import connection, transaction

        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE tally (n integer)")
            cursor.execute("INSERT INTO tally VALUES (0)")
        errors = []

        def bump(times):
            try:
                for _ in range(times):
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.execute("SELECT n FROM tally")
                        (n,) = cursor.fetchone()
                        time.sleep(0.01)
                        cursor.execute("UPDATE tally SET n = %s", [n + 1])
            except Exception as error:
                errors.append(repr(error))
            finally:
                connection.close()

        # when two threads (two connections) do it 25 times each
        threads = [threading.Thread(target=bump, args=(25,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with connection.cursor() as cursor:
            cursor.execute("SELECT n FROM tally")
            (n,) = cursor.fetchone()
            cursor.execute("PRAGMA journal_mode")
            (mode,) = cursor.fetchone()
        print(json.dumps({"n": n, "errors": errors, "mode": mode}))
    """
    out = json.loads(_run_dev(tmp_path, script).splitlines()[-1])

    # then each one waited for the other: no "database is locked", every increment counted
    assert out["errors"] == []
    assert out["n"] == 50
    assert out["mode"] == "wal"


def test_requests_take_the_write_lock_at_their_first_write_and_stay_atomic(tmp_path):
    # given the embedded default's middleware and database behind three small views: a read, a
    # view that reads then (as a service does) reads and writes in its own atomic block, and a
    # view that writes then fails
    script = """
        import json, sqlite3, sys, threading, time, types
        from django.conf import settings
        from django.db import connection, transaction
        from django.http import HttpResponse
        from django.test import Client
        from django.urls import clear_url_caches, path

        def read(request):
            with connection.cursor() as cursor:
                cursor.execute("SELECT n FROM tally")
                return HttpResponse(str(cursor.fetchone()[0]))

        def bump(request):
            read(request)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT n FROM tally")
                (n,) = cursor.fetchone()
                time.sleep(0.01)
                cursor.execute("UPDATE tally SET n = %s", [n + 1])
            return HttpResponse(str(n + 1))

        def bump_then_fail(request):
            with connection.cursor() as cursor:
                cursor.execute("UPDATE tally SET n = n + 1000")
            raise RuntimeError("after the write")

        urls = types.ModuleType("lazy_urls")
        urls.urlpatterns = [path("read", read), path("bump", bump), path("fail", bump_then_fail)]
        sys.modules["lazy_urls"] = urls
        settings.ROOT_URLCONF = "lazy_urls"
        clear_url_caches()
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE tally (n integer)")
            cursor.execute("INSERT INTO tally VALUES (0)")
        connection.close()
        out = {"errors": []}

        def post_bumps(times):
            try:
                client = Client()
                for _ in range(times):
                    assert client.post("/bump").status_code == 200
            except Exception as error:
                out["errors"].append(repr(error))
            finally:
                connection.close()

        # when two people post 25 bumps each
        threads = [threading.Thread(target=post_bumps, args=(25,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        out["after_bumps"] = int(Client().get("/read").content)

        # and a request writes, then fails
        out["failed_status"] = Client(raise_request_exception=False).post("/fail").status_code
        out["after_failure"] = int(Client().get("/read").content)

        # and, while another connection holds the write lock, someone reads
        other = sqlite3.connect(settings.DATABASES["default"]["NAME"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        out["read_status"] = Client().get("/read").status_code
        out["read_seconds"] = time.monotonic() - started
        other.execute("ROLLBACK")
        print(json.dumps(out))
    """
    out = json.loads(_run_dev(tmp_path, script, ALLOWED_HOSTS="testserver").splitlines()[-1])

    # then the writers queued instead of failing, and no increment was lost
    assert out["errors"] == []
    assert out["after_bumps"] == 50
    # and the failed request's write was rolled back with it
    assert out["failed_status"] == 500
    assert out["after_failure"] == 50
    # and the read did not wait for the writer
    assert out["read_status"] == 200
    assert out["read_seconds"] < 5
