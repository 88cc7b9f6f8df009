"""Attachment previews: rendered by the task, served only to those who may download the file."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from incidents import services
from incidents.models import Category
from previews import rendering
from previews import services as previews
from previews.tasks import preview_render_task
from tests.factories import make_incident, make_user
from tests.previews import samples

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # previews are keyed by content: no test sees another's


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    return image


def _thumb(attachment):
    return reverse("previews:thumbnail", args=[attachment.pk])


def _page(attachment, number=1):
    return reverse("previews:page", args=[attachment.pk, number])


@pytest.mark.parametrize(
    ("name", "data", "pages", "page_size"),
    [
        ("screen.png", samples.png(800, 600), 1, (800, 600)),
        ("photo.jpg", samples.jpeg(2400, 1200), 1, (1200, 600)),
        ("manual.pdf", samples.pdf(pages=3), 3, (1200, 1698)),
    ],
)
def test_the_task_renders_a_thumbnail_and_the_viewer_pages_once(agent, alice, name, data, pages, page_size):
    incident = make_incident(actor=agent, caller=alice)
    attachment = services.attachment_add(actor=agent, incident=incident, upload=samples.upload(name, data))

    assert preview_render_task(attachment.pk) == 1 + pages
    assert preview_render_task(attachment.pk) == 0  # idempotent: what is stored is kept

    assert previews.preview_of(attachment).pages == pages
    thumb = _image(previews.thumbnail_bytes(attachment))
    assert max(thumb.size) == rendering.THUMBNAIL_BOX
    first = _image(previews.page_bytes(attachment, 1))
    assert first.size == pytest.approx(page_size, abs=1)
    assert previews.page_bytes(attachment, pages + 1) is None


def test_a_missing_thumbnail_is_rendered_on_demand_and_served_inline_as_an_image(client, agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    attachment = services.attachment_add(
        actor=agent, incident=incident, upload=samples.upload("screen.png", samples.png())
    )
    client.force_login(alice)

    response = client.get(_thumb(attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    _image(response.content)
    assert client.get(_page(attachment, 1)).status_code == 200
    assert client.get(_page(attachment, 2)).status_code == 404


def test_previews_follow_the_download_rule(client, agent, alice, bob):
    incident = make_incident(actor=agent, caller=alice)
    public = services.attachment_add(
        actor=agent, incident=incident, upload=samples.upload("screen.png", samples.png())
    )
    internal = services.attachment_add(
        actor=agent,
        incident=incident,
        upload=samples.upload("internal.pdf", samples.pdf(pages=1)),
        public=False,
    )
    preview_render_task(public.pk)
    preview_render_task(internal.pk)

    assert client.get(_thumb(public)).status_code == 302  # anonymous: to the login page
    client.force_login(bob)  # another caller
    for url in (_thumb(public), _page(public), _thumb(internal), _page(internal)):
        assert client.get(url).status_code == 404, url
    client.force_login(alice)  # the caller: the public file only
    assert client.get(_thumb(public)).status_code == 200
    assert client.get(_page(internal)).status_code == 404
    assert client.get(_thumb(internal)).status_code == 404
    client.force_login(agent)
    assert client.get(_page(internal)).status_code == 200


def test_a_restricted_security_incident_previews_for_the_security_group_only(client, agent, alice):
    secops = make_user("secops", groups=["security"])
    category = Category.objects.get(slug="security", parent__isnull=True)
    breach = make_incident(actor=alice, caller=alice, title="Phishing mail opened", category=category)
    shot = services.attachment_add(
        actor=alice, incident=breach, upload=samples.upload("phish.png", samples.png(colour=(1, 2, 3)))
    )
    preview_render_task(shot.pk)

    client.force_login(agent)  # service desk, outside the security group
    assert client.get(_thumb(shot)).status_code == 404
    assert client.get(_page(shot)).status_code == 404
    client.force_login(secops)
    assert client.get(_thumb(shot)).status_code == 200
    assert client.get(_page(shot)).status_code == 200


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bomb.png", samples.png_bomb()),  # 50 million pixels declared in a few hundred bytes
        ("huge.png", samples.png_bomb(100_000, 100_000)),  # beyond Pillow's own refusal too
        ("broken.png", samples.png()[:120]),  # cut off mid-rows
        ("broken.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50),
    ],
)
def test_a_bomb_or_a_broken_file_has_no_preview_and_the_page_still_works(client, agent, alice, name, data):
    incident = make_incident(actor=agent, caller=alice)
    attachment = services.attachment_add(actor=agent, incident=incident, upload=samples.upload(name, data))

    assert preview_render_task(attachment.pk) == 0
    assert previews.preview_of(attachment).pages == 0
    client.force_login(agent)
    assert client.get(_thumb(attachment)).status_code == 404
    assert client.get(_page(attachment)).status_code == 404
    page = client.get(reverse("incidents:detail", args=[incident.number]))
    assert page.status_code == 200
    assert "No preview" in page.content.decode()
    assert client.get(reverse("incidents:attachment-download", args=[attachment.pk])).status_code == 200


def test_svg_is_never_rendered(client, agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="9"/></svg>'
    attachment = services.attachment_add(
        actor=agent, incident=incident, upload=samples.upload("logo.svg", svg)
    )

    assert not previews.previewable(attachment)
    assert preview_render_task(attachment.pk) == 0
    client.force_login(agent)
    assert client.get(_thumb(attachment)).status_code == 404
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert reverse("previews:thumbnail", args=[attachment.pk]) not in page


def test_the_incident_page_and_the_portal_show_the_thumbnail_and_the_viewer(client, agent, alice):
    incident = make_incident(actor=agent, caller=alice)
    manual = services.attachment_add(
        actor=agent, incident=incident, upload=samples.upload("manual.pdf", samples.pdf(pages=2))
    )
    client.force_login(agent)
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert f'src="{_thumb(manual)}"' in page
    assert f'id="preview-{manual.pk}"' in page  # the viewer dialog, with each page
    assert f'src="{_page(manual, 1)}"' in page and f'src="{_page(manual, 2)}"' in page
    assert "manual.pdf, page 2 of 2" in page

    client.force_login(alice)
    portal = client.get(reverse("portal:incident-detail", args=[incident.number])).content.decode()
    assert f'src="{_thumb(manual)}"' in portal and f'src="{_page(manual, 2)}"' in portal
