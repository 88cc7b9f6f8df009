"""Attachments: checked on the way in, served only to those who may see them."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from incidents import services
from incidents.models import Attachment
from tests.factories import PASSWORD, make_incident

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

pytestmark = pytest.mark.django_db


def test_an_upload_is_stored_under_its_hash_with_a_cleaned_name(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    upload = SimpleUploadedFile("../../etc/\u202egnp.exe.png", PNG, content_type="image/png")
    attachment = services.attachment_add(actor=agent, incident=incident, upload=upload)
    assert attachment.original_name == "gnp.exe.png"
    assert attachment.content_type == "image/png"
    assert attachment.sha256 in attachment.file.name and ".." not in attachment.file.name
    assert incident.events.filter(kind="attachment", attachment=attachment).exists()


def test_the_type_is_read_from_the_content_not_the_claim(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    fake_pdf = SimpleUploadedFile(
        "report.pdf", b"MZ\x90\x00" + b"\x00\xff" * 600, content_type="application/pdf"
    )
    with pytest.raises(ValidationError) as excinfo:
        services.attachment_add(actor=agent, incident=incident, upload=fake_pdf)
    assert "application/octet-stream" in excinfo.value.message_dict["file"][0]
    assert Attachment.objects.count() == 0


@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_an_upload_over_the_limit_is_refused(agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    big = SimpleUploadedFile("notes.txt", b"a" * 2048, content_type="text/plain")
    with pytest.raises(ValidationError, match="larger than"):
        services.attachment_add(actor=agent, incident=incident, upload=big)
    with pytest.raises(ValidationError, match="empty"):
        services.attachment_add(actor=agent, incident=incident, upload=SimpleUploadedFile("e.txt", b""))


def test_download_is_permission_checked_and_never_inline(client, agent, alice, bob):
    incident = make_incident(actor=agent, caller=alice)
    public = services.attachment_add(
        actor=agent, incident=incident, upload=SimpleUploadedFile("log.txt", b"<script>alert(1)</script>")
    )
    internal = services.attachment_add(
        actor=agent, incident=incident, upload=SimpleUploadedFile("internal.txt", b"secret"), public=False
    )
    url = reverse("incidents:attachment-download", args=[public.pk])

    assert client.get(url).status_code == 302  # anonymous: to the login page

    client.login(username=bob.username, password=PASSWORD)
    assert client.get(url).status_code == 404  # another caller's incident

    client.login(username=alice.username, password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "text/plain"
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    internal_url = reverse("incidents:attachment-download", args=[internal.pk])
    assert client.get(internal_url).status_code == 404  # internal files are for staff

    client.login(username=agent.username, password=PASSWORD)
    assert client.get(internal_url).status_code == 200
