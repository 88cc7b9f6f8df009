"""The previews' demo data: alice's "Second screen stays black" has a photo of the screen and the
docking station's two-page guide (a PDF), so an agent and alice in the portal see thumbnails and the
viewer. Both are drawn here (Pillow, ReportLab): no binary files in the repository.

Called once by ``demo.seed.load_demo`` after the portal's demo (which logs the incident). The previews
themselves are rendered on the first visit (the demo is loaded with the task queue muted).
"""

from __future__ import annotations

import io

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from incidents import services
from incidents.models import Incident, IncidentEvent


def load_previews_demo() -> None:
    incident = Incident.objects.filter(title="Second screen stays black").order_by("pk").first()
    if incident is None:
        return
    users = get_user_model().objects
    alice, agent = users.get(username="alice"), users.get(username="agent")
    photo = services.attachment_add(
        actor=alice, incident=incident, upload=SimpleUploadedFile("second-screen.png", _screen_photo())
    )
    guide = services.attachment_add(
        actor=agent, incident=incident, upload=SimpleUploadedFile("docking-station-guide.pdf", _guide())
    )
    # History, like the rest of the demo: nothing left for the notifications to send.
    IncidentEvent.objects.filter(attachment__in=[photo, guide], notified_at__isnull=True).update(
        notified_at=timezone.now()
    )


def _screen_photo() -> bytes:
    image = Image.new("RGB", (960, 600), (222, 226, 230))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((80, 60, 880, 500), radius=18, fill=(33, 37, 41))  # the monitor
    draw.rectangle((110, 90, 850, 470), fill=(8, 8, 12))  # its black screen
    draw.rectangle((440, 500, 520, 560), fill=(73, 80, 87))  # the stand
    draw.rectangle((360, 560, 600, 580), fill=(73, 80, 87))
    draw.text((400, 270), "No signal", fill=(160, 160, 160), font_size=36)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _guide() -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    width, height = A4
    pages = [
        (
            "Docking station: quick guide (1/2)",
            [
                "1. Connect the laptop with the USB-C cable marked with a screen icon.",
                "2. The second screen takes the DisplayPort output, not HDMI.",
                "3. Wait ten seconds: the station updates its firmware on first use.",
            ],
        ),
        (
            "Docking station: when a screen stays black (2/2)",
            [
                "- Unplug the station's power for thirty seconds, then reconnect.",
                "- Windows: Settings > System > Display > Detect.",
                "- Still black: call the service desk and quote the station's serial number.",
            ],
        ),
    ]
    for title, lines in pages:
        pdf.setFont("Helvetica-Bold", 20)
        pdf.drawString(60, height - 90, title)
        pdf.setFont("Helvetica", 13)
        for n, line in enumerate(lines):
            pdf.drawString(60, height - 140 - 26 * n, line)
        pdf.rect(60, height - 520, width - 120, 260)
        pdf.drawCentredString(width / 2, height - 400, "[ diagram of the station's ports ]")
        pdf.showPage()
    pdf.save()
    return out.getvalue()
