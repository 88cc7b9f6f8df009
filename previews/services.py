"""Attachment previews: rendered once, stored beside the attachments, keyed by the file's SHA-256.

The preview files are derived data: ``previews/<sha256[:2]>/<sha256>/`` holds ``info.json`` (how many
pages the viewer shows, or that the file has no preview), ``thumb.webp`` and ``page-<n>.webp``. Two
attachments with the same content share them; deleting them loses nothing (they are rendered again on
demand). Nothing here checks permissions: callers pass an attachment they got from
``incidents.selectors.attachment_get_for_user`` (the views) or from an event (the task).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import Storage

from core.queueing import enqueue_on_commit
from incidents.models import Attachment, IncidentEvent

from . import rendering

log = logging.getLogger(__name__)

RENDER_TASK = "previews.tasks.preview_render_task"
INFO = "info.json"
THUMBNAIL = "thumb.webp"


@dataclass(frozen=True)
class Preview:
    """What the incident page shows for an attachment: a thumbnail and ``pages`` viewer images, or
    nothing (``pages == 0``: no preview, the attachment is a download link only)."""

    pages: int

    @property
    def available(self) -> bool:
        return self.pages > 0

    @property
    def page_numbers(self) -> range:
        return range(1, self.pages + 1)


NONE = Preview(pages=0)


def previewable(attachment: Attachment) -> bool:
    """By the type the upload check read from the file's first bytes, never by its name."""
    return attachment.content_type in rendering.PREVIEWABLE


def preview_of(attachment: Attachment) -> Preview:
    """The attachment's preview. The first time, its thumbnail is drawn too (one decode; the task has
    usually done it): a file that opens but does not decode (cut off mid-rows) has no preview, and the
    incident page never shows a thumbnail that will not load."""
    if not previewable(attachment):
        return NONE
    storage = attachment.file.storage
    name = _path(attachment, INFO)
    try:
        with storage.open(name, "rb") as handle:
            return Preview(pages=int(json.load(handle)["pages"]))
    except FileNotFoundError:
        pass
    except (ValueError, KeyError, TypeError):
        log.warning("preview info of attachment %s unreadable; describing it again", attachment.pk)
        storage.delete(name)
    data = _read(attachment)
    if data is None:  # a file missing from storage is not recorded as broken: it may come back
        return NONE
    try:
        pages = rendering.describe(data, attachment.content_type).pages
        _store(storage, _path(attachment, THUMBNAIL), rendering.thumbnail(data, attachment.content_type))
    except rendering.NoPreview as error:
        log.info("attachment %s has no preview: %s", attachment.pk, error)
        pages = 0
    _store(storage, name, json.dumps({"pages": pages}).encode())
    return Preview(pages=pages)


def thumbnail_bytes(attachment: Attachment) -> bytes | None:
    """The thumbnail, rendered and stored if missing; None when the attachment has no preview."""
    if not preview_of(attachment).available:
        return None
    return _image(attachment, THUMBNAIL, rendering.thumbnail)


def page_bytes(attachment: Attachment, number: int) -> bytes | None:
    """Viewer page ``number`` (1-based), rendered and stored if missing; None when there is none."""
    if not 1 <= number <= preview_of(attachment).pages:
        return None
    return _image(attachment, f"page-{number}.webp", lambda data, kind: rendering.page(data, kind, number))


def preview_render(attachment: Attachment) -> int:
    """Render everything the viewer will ask for (the task's work). Idempotent: what is stored is kept.
    Returns the number of images stored now."""
    storage = attachment.file.storage
    before = _stored_images(storage, attachment)
    preview = preview_of(attachment)
    for number in preview.page_numbers:
        page_bytes(attachment, number)
    return _stored_images(storage, attachment) - before


def on_attachment_event(event: IncidentEvent) -> None:
    """The event hook's subscriber: queue the rendering once the attachment is committed."""
    attachment = event.attachment
    if attachment is not None and previewable(attachment):
        enqueue_on_commit(RENDER_TASK, attachment.pk)


def _image(attachment: Attachment, filename: str, draw: Callable[[bytes, str], bytes]) -> bytes | None:
    storage = attachment.file.storage
    name = _path(attachment, filename)
    try:
        with storage.open(name, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        pass
    data = _read(attachment)
    if data is None:
        return None
    try:
        image = draw(data, attachment.content_type)
    except rendering.NoPreview as error:  # one broken page of a PDF: that page only has no image
        log.info("attachment %s: no preview image %s: %s", attachment.pk, filename, error)
        return None
    _store(storage, name, image)
    return image


def _stored_images(storage: Storage, attachment: Attachment) -> int:
    folder = _path(attachment, "")
    try:
        return sum(1 for f in storage.listdir(folder)[1] if f.endswith(".webp"))
    except FileNotFoundError:
        return 0


def _path(attachment: Attachment, filename: str) -> str:
    return f"previews/{attachment.sha256[:2]}/{attachment.sha256}/{filename}"


def _read(attachment: Attachment) -> bytes | None:
    try:
        with attachment.file.open("rb") as handle:
            return handle.read()
    except FileNotFoundError:
        log.warning("attachment %s: its file is no longer stored", attachment.pk)
        return None


def _store(storage: Storage, name: str, content: bytes) -> None:
    """Write once: a second renderer racing the first keeps the first file, and leaves no copy behind."""
    if storage.exists(name):
        return
    saved = storage.save(name, ContentFile(content))
    if saved != name:  # the other renderer won; its file has the same bytes
        storage.delete(saved)
