"""Reading one raw message: pure functions, no database.

``parse`` turns bytes into a ``ParsedMessage`` or raises ``Malformed`` with a reason an administrator
can read. ``loop_reason`` says why a message is automatic (and so never opens an incident nor gets an
answer). ``thread_references`` reads which incident a reply belongs to from the threading contract
of our outgoing mail (``incidents.notifications.message_id``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import errors as email_errors
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

# Defects that mean the message was cut or its structure cannot be trusted.
FATAL_DEFECTS = (
    email_errors.CloseBoundaryNotFoundDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
    email_errors.NoBoundaryInMultipartDefect,
)
SUBJECT_TAG = re.compile(r"\[(INC\d{7})\]", re.IGNORECASE)
# Our Message-IDs: <notification-{notification id}.{event id}@domain> and <incident-{number}@domain>.
NOTIFICATION_REF = re.compile(r"<notification-(\d+)\.(\d+)@[^>\s]+>")
INCIDENT_REF = re.compile(r"<incident-(INC\d{7})@[^>\s]+>", re.IGNORECASE)
AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster")
# Trace headers added by each hop: left out of the digest so that one message delivered twice
# digests the same.
TRACE_HEADERS = {"received", "return-path", "delivered-to", "x-original-to", "authentication-results"}


class Malformed(Exception):
    """The message cannot be read; the text says why."""


@dataclass(frozen=True)
class Part:
    filename: str
    content: bytes


@dataclass
class ParsedMessage:
    message_id: str
    key: str
    sender: str
    sender_name: str
    subject: str
    text: str
    attachments: list[Part] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    loop_reason: str = ""
    dmarc_failed: bool = False


def message_key(message_id: str, raw: bytes) -> str:
    """The exactly-once key: the Message-ID, or a digest of the content when there is none."""
    if message_id:
        return "mid:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()
    return "sha:" + content_digest(raw)


def content_digest(raw: bytes) -> str:
    """SHA-256 of the message without its trace headers, newlines normalised: stable across hops."""
    raw = raw.replace(b"\r\n", b"\n")
    head, _, body = raw.partition(b"\n\n")
    kept: list[bytes] = []
    skipping = False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
        skipping = name in TRACE_HEADERS
        if not skipping:
            kept.append(line)
    return hashlib.sha256(b"\n".join(kept) + b"\n\n" + body).hexdigest()


def parse_headers(raw: bytes) -> EmailMessage:
    """Only the header block, for messages too large to read whole."""
    msg = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def sender_of(msg: EmailMessage) -> tuple[str, str]:
    """(name, address) of Reply-To if given, else From; ("", "") when neither names an address."""
    for header in ("reply-to", "from"):
        try:
            values = msg.get_all(header) or []
            pairs = getaddresses([str(v) for v in values])
        except (ValueError, TypeError, IndexError, AttributeError):  # an undecodable header is no sender
            pairs = []
        for name, address in pairs:
            if "@" in address:
                return name, address.strip().lower()
    return "", ""


def header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def loop_reason(msg: EmailMessage, sender: str) -> str:
    """Why this message was sent by a machine, or "" for a person (RFC 3834 and common practice)."""
    auto = header(msg, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if msg.get(name) is not None:
            return f"{name} header"
    if msg.get_content_type() == "multipart/report":
        return "delivery or disposition report (multipart/report)"
    local = sender.partition("@")[0]
    if local in AUTOMATIC_SENDERS:
        return f"sent by {local}"
    if header(msg, "Return-Path") == "<>":
        return "null return path (a bounce)"
    return ""


def thread_references(msg: EmailMessage) -> tuple[list[int], list[str]]:
    """(notification ids, incident numbers) named by In-Reply-To and References, nearest first."""
    refs = f"{header(msg, 'In-Reply-To')} {header(msg, 'References')}"
    notifications = [int(m.group(1)) for m in NOTIFICATION_REF.finditer(refs)]
    numbers = [m.group(1).upper() for m in INCIDENT_REF.finditer(refs)]
    return notifications, numbers


def subject_number(subject: str) -> str:
    found = SUBJECT_TAG.search(subject or "")
    return found.group(1).upper() if found else ""


def parse(raw: bytes) -> ParsedMessage:
    if not raw.strip():
        raise Malformed("the file is empty")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; anything it raises is a broken file
        raise Malformed(f"unreadable: {exc}") from exc
    assert isinstance(msg, EmailMessage)
    if not msg.keys():
        raise Malformed("no headers")
    for part in msg.walk():
        for defect in part.defects:
            if isinstance(defect, FATAL_DEFECTS):
                raise Malformed(f"truncated or broken MIME structure ({type(defect).__name__})")
    name, sender = sender_of(msg)
    if not sender:
        raise Malformed("no sender address in From or Reply-To")
    message_id = header(msg, "Message-ID")[:998]
    subject = header(msg, "Subject")
    reason = loop_reason(msg, sender)
    try:
        text, attachments = _content(msg)
    except (LookupError, ValueError, UnicodeError, AssertionError) as exc:
        raise Malformed(f"undecodable content: {exc}") from exc
    dmarc = header(msg, "Authentication-Results").lower()
    return ParsedMessage(
        message_id=message_id,
        key=message_key(message_id, raw),
        sender=sender,
        sender_name=name,
        subject=subject,
        text=text,
        attachments=attachments,
        references=[header(msg, "In-Reply-To"), header(msg, "References")],
        loop_reason=reason,
        dmarc_failed="dmarc=fail" in dmarc,
    )


def _decode(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except LookupError:  # an unknown charset: read the bytes as UTF-8, replacing what is not
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    if isinstance(content, bytes):
        return content.decode("utf-8", "replace")
    return str(content)


def _content(msg: EmailMessage) -> tuple[str, list[Part]]:
    body = msg.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        assert isinstance(body, EmailMessage)
        text = _decode(body)
        if body.get_content_type() == "text/html":
            text = html_to_text(text)
    attachments: list[Part] = []
    for part in msg.iter_attachments():
        assert isinstance(part, EmailMessage)
        if part.get_content_type() == "message/rfc822":
            inner = part.get_content()
            if isinstance(inner, EmailMessage):
                inner_text, inner_files = _content(inner)
                text += (
                    f"\n\n---------- Forwarded message ----------\nFrom: {header(inner, 'From')}\n"
                    f"Subject: {header(inner, 'Subject')}\n\n{inner_text}"
                )
                attachments += inner_files
            continue
        filename = part.get_filename()
        if not filename:
            continue  # inline images without a name: signatures and logos
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            attachments.append(Part(filename=filename, content=payload))
    return _tidy(text), attachments


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_reply_parser = EmailReplyParser(languages=["en", "de", "fr", "es", "it", "nl"])


def reply_text(text: str) -> str:
    """The new part of a reply: quoted history and signature trimmed (mail-parser-reply).

    Falls back on the whole text if the library finds nothing of its own in it (a reply that is
    only a quote stays readable rather than empty).
    """
    try:
        replies = _reply_parser.read(text).replies
    except Exception:  # the library is heuristic; a surprise in it must not lose the reply
        return text
    latest = replies[0].body.strip() if replies else ""
    return latest or text


_BLOCKS = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table",
    "ul", "ol", "hr", "section", "article", "header", "footer",
}  # fmt: skip


class _TextExtractor(HTMLParser):
    """Text of an HTML body: tags dropped, scripts and styles dropped with their content, blocks as lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in _BLOCKS:
            self.chunks.append("\n")
        if tag == "li":
            self.chunks.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.chunks.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(html: str) -> str:
    """Plain text of an HTML-only message. What comes out is text: rendering escapes it again."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [line.strip() for line in "".join(extractor.chunks).split("\n")]
    return _tidy("\n".join(lines))
