"""Through a real worker: an image attached on the incident page has its preview rendered after commit."""

from __future__ import annotations

import secrets
import time

import pytest

from incidents import services
from previews import services as previews
from tests.factories import make_incident, make_user
from tests.previews import samples


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_attached_image_is_rendered_by_the_worker_after_commit(celery_worker_process):
    agent = make_user("agent-p", groups=["service-desk"])
    incident = make_incident(actor=agent, caller=make_user("caller-p"))
    colour = tuple(secrets.randbelow(256) for _ in range(3))  # new content: nothing stored yet
    attachment = services.attachment_add(
        actor=agent, incident=incident, upload=samples.upload("screen.png", samples.png(colour=colour))
    )
    storage = attachment.file.storage
    page = f"previews/{attachment.sha256[:2]}/{attachment.sha256}/page-1.webp"

    deadline = time.monotonic() + 30
    while not storage.exists(page) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert storage.exists(page), celery_worker_process.log()
    assert previews.preview_of(attachment).pages == 1
