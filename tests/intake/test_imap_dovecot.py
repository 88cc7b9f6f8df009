"""Mail intake over IMAPS against a real Dovecot (Debian's dovecot-imapd, installed by scripts/services.sh).

Each test starts a throw-away Dovecot of its own: a config in a temp dir (127.0.0.1, a free port, TLS
required with a self-signed certificate made here, one user in a passwd-file, Maildir storage and its
runtime directories in the temp dir). The system's Dovecot service is not used. Mail is delivered by IMAP
APPEND, as an MTA's delivery agent would leave it: unseen in INBOX.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from incidents.models import Incident
from intake.mailboxes import ImapMailbox
from intake.models import InboundMessage, Outcome
from intake.polling import mailbox_poll
from tests.factories import make_user
from tests.intake.test_routing import message

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
pytestmark = pytest.mark.skipif(
    DOVECOT is None, reason="dovecot-imapd is not installed (scripts/services.sh installs it)"
)
USER, PASSWORD = "desk", "desk-secret"
FAILED = "INBOX.servicedesk-failed"

CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = servicedesk-test-{port}
log_path = {root}/dovecot.log
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
auth_mechanisms = plain
{users}
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = .
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
  chroot =
}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    """One throw-away Dovecot: ``start()``, ``stop()``, and an IMAP client to deliver and look."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.conf = root / "dovecot.conf"
        self.cert = root / "cert.pem"
        self.proc: subprocess.Popen[bytes] | None = None
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(root / "key.pem"), "-out", str(self.cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        # As root, Dovecot's own unprivileged users (made by the Debian package) run its login and auth
        # processes; as anyone else, everything runs as that user.
        # Dovecot refuses to store mail as root: then the mail is stored as its own user too.
        if os.getuid() == 0:
            users = "default_internal_user = dovecot\ndefault_login_user = dovenull"
            owner = pwd.getpwnam("dovecot")
            uid, gid = owner.pw_uid, owner.pw_gid
        else:
            name = pwd.getpwuid(os.getuid()).pw_name
            users = f"default_internal_user = {name}\ndefault_login_user = {name}"
            uid, gid = os.getuid(), os.getgid()
        (root / "home").mkdir()
        os.chown(root / "home", uid, gid)
        self.conf.write_text(CONF.format(root=root, port=self.port, users=users, uid=uid, gid=gid))

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.proc.stderr.read().decode()} {self.log()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.1)
        raise RuntimeError(f"dovecot did not listen on {self.port}: {self.log()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None
        deadline = time.monotonic() + 10  # its children close the listening socket after the master
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            except OSError:
                return
            time.sleep(0.1)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    @contextlib.contextmanager
    def client(self):
        context = ssl.create_default_context(cafile=str(self.cert))
        conn = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=context, timeout=10)
        try:
            conn.login(USER, PASSWORD)
            yield conn
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                conn.logout()

    def deliver(self, *raws: bytes) -> None:
        with self.client() as conn:
            for raw in raws:
                status, data = conn.append("INBOX", "", None, raw)
                assert status == "OK", data

    def flags(self, folder: str = "INBOX") -> list[bytes]:
        """The flags of every message in ``folder``, in order."""
        with self.client() as conn:
            status, data = conn.select(folder, readonly=True)
            assert status == "OK", (folder, data)
            if int(data[0]) == 0:
                return []
            status, data = conn.fetch("1:*", "(FLAGS)")
            return [line for line in data if line]

    def subjects(self, folder: str) -> list[str]:
        with self.client() as conn:
            status, data = conn.select(folder, readonly=True)
            assert status == "OK", (folder, data)
            if int(data[0]) == 0:
                return []
            status, data = conn.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            return [part[1].decode().split(":", 1)[1].strip() for part in data if isinstance(part, tuple)]


@pytest.fixture
def dovecot(settings):
    # Not pytest's tmp_path: its parent is private to the user, and Dovecot's auth process (its own user)
    # must read the passwd-file.
    root = Path(tempfile.mkdtemp(prefix="sd-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root)
    server.start()
    settings.INBOUND_IMAP_HOST = "127.0.0.1"
    settings.INBOUND_IMAP_PORT = server.port
    settings.INBOUND_IMAP_USER = USER
    settings.INBOUND_IMAP_PASSWORD = PASSWORD
    settings.INBOUND_IMAP_FOLDER = "INBOX"
    settings.INBOUND_IMAP_FAILED_FOLDER = FAILED
    settings.INBOUND_IMAP_CA_FILE = str(server.cert)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _poll(limit: int = 100) -> dict[str, int]:
    return mailbox_poll(mailbox=ImapMailbox(), limit=limit)


@pytest.mark.django_db(transaction=True)
def test_new_mail_is_taken_in_and_flagged_seen(dovecot):
    make_user("alice1", email="alice@example.org")
    dovecot.deliver(
        message(subject="VPN drops every hour", body="Since this morning."),
        message(subject="Printer jams", body="Floor 2."),
    )

    assert _poll() == {"opened": 2}
    assert sorted(Incident.objects.values_list("title", flat=True)) == [
        "Printer jams",
        "VPN drops every hour",
    ]
    assert all(b"\\Seen" in line for line in dovecot.flags()) and len(dovecot.flags()) == 2
    assert _poll() == {}  # nothing unseen is left: nothing is taken in twice


@pytest.mark.django_db(transaction=True)
def test_the_certificate_is_checked_against_the_configured_ca(dovecot, settings):
    settings.INBOUND_IMAP_CA_FILE = ""  # the system's store does not know the throw-away CA
    with pytest.raises(ssl.SSLCertVerificationError):
        _poll()


@pytest.mark.django_db(transaction=True)
def test_an_unreadable_message_is_moved_to_the_failed_folder(dovecot):
    make_user("alice1", email="alice@example.org")
    no_sender = (
        b"To: servicedesk@example.org\r\nSubject: Who sent this\r\nMessage-ID: <x1@example.org>\r\n\r\nHi\r\n"
    )
    dovecot.deliver(no_sender, message(subject="Laptop will not boot", body="Black screen."))

    assert _poll() == {"failed": 1, "opened": 1}
    assert dovecot.subjects(FAILED) == ["Who sent this"]
    assert dovecot.subjects("INBOX") == ["Laptop will not boot"]  # the failed one left the polled folder
    record = InboundMessage.objects.get(outcome=Outcome.FAILED)
    assert "no sender" in record.detail and record.source.startswith("imap:INBOX:")
    assert _poll() == {}


@pytest.mark.django_db(transaction=True)
def test_polling_goes_on_after_the_server_restarts(dovecot):
    make_user("alice1", email="alice@example.org")
    dovecot.deliver(message(subject="Before the restart", body="One."))
    assert _poll() == {"opened": 1}

    dovecot.stop()
    with pytest.raises(OSError):  # the poll while it is away fails cleanly, nothing is marked
        _poll()
    dovecot.start()
    dovecot.deliver(message(subject="After the restart", body="Two."))

    assert _poll() == {"opened": 1}
    assert sorted(Incident.objects.values_list("title", flat=True)) == [
        "After the restart",
        "Before the restart",
    ]
    assert all(b"\\Seen" in line for line in dovecot.flags())


@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_take_each_message_in_once(dovecot):
    make_user("alice1", email="alice@example.org")
    unique = [message(subject=f"Problem {n}", body=f"Details {n}.") for n in range(12)]
    dovecot.deliver(*unique)

    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def poller() -> None:
        try:
            barrier.wait()
            results.append(_poll())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poller) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert not errors, errors
    assert Incident.objects.count() == 12
    assert InboundMessage.objects.count() == 12
    assert sum(r.get("opened", 0) for r in results) == 12
    assert not any(r.get("failed") for r in results)
    flags = dovecot.flags()
    assert len(flags) == 12 and all(b"\\Seen" in line for line in flags)
