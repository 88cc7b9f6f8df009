"""Rendering an attachment's preview images from its bytes: no database, no storage, no Django.

Only the formats the upload check recognised by their first bytes are decoded, each by its own decoder
(Pillow's ``formats=``), so a file is never decoded as something it was not accepted as. SVG and
every other type have no preview: they are never rendered. Every output is re-encoded (WebP), so what
the browser shows inline is an image this module drew, never the uploaded bytes, and carries none of
their metadata (EXIF positions) or payloads (polyglot files).

PDF pages are drawn by PDFium (pypdfium2) with no form environment: a PDF's JavaScript and forms never
run. PDFium was chosen over PyMuPDF (AGPL) and Poppler's pdftoppm (a Debian package and a subprocess per
page): pypdfium2's wheels carry the PDFium binary, and it is Apache-2.0/BSD-3 licensed.
"""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, ImageOps

# The types that have a preview, and the one Pillow decoder each may be read with.
IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF"}
PDF = "application/pdf"
PREVIEWABLE = frozenset(IMAGE_FORMATS) | {PDF}

THUMBNAIL_BOX = 240  # px, the thumbnail fits in a square of this side
PAGE_WIDTH = 1200  # px, the viewer's images are at most this wide ...
PAGE_MAX_HEIGHT = 3 * PAGE_WIDTH  # ... and this tall (a PDF "page" of 1 x 100 m stays small)
MAX_PAGES = 20  # a PDF's viewer shows its first pages; the download has them all
# An image of more pixels is not decoded (a decompression bomb: a small PNG of 50,000 x 50,000 pixels
# would take gigabytes). Pillow refuses twice Image.MAX_IMAGE_PIXELS itself and warns above it; the
# warning is an error here, and this lower limit is checked first, before anything is decoded.
MAX_PIXELS = 40_000_000
WEBP_QUALITY = 85

# PDFium is not thread-safe: one render at a time per process (gunicorn threads, eager tests).
_pdfium_lock = threading.Lock()


class NoPreview(Exception):
    """The file has no preview: its type has none, or it is broken, encrypted or too large to decode."""


@dataclass(frozen=True)
class Document:
    pages: int  # how many pages the viewer shows (an image has one)


def describe(data: bytes, content_type: str) -> Document:
    """How many pages the viewer shows, without rendering any (a PDF is opened, not drawn)."""
    if content_type in IMAGE_FORMATS:
        _open_image(data, content_type).close()
        return Document(pages=1)
    if content_type == PDF:
        with _pdfium_lock:
            pdf = _open_pdf(data)
            try:
                return Document(pages=min(len(pdf), MAX_PAGES))
            finally:
                pdf.close()
    raise NoPreview(content_type)


def thumbnail(data: bytes, content_type: str) -> bytes:
    """The first page (or the image) fitted into a THUMBNAIL_BOX square, as WebP."""
    return _webp(_draw(data, content_type, 1, THUMBNAIL_BOX, THUMBNAIL_BOX))


def page(data: bytes, content_type: str, number: int) -> bytes:
    """Page ``number`` (1-based) for the viewer, at most PAGE_WIDTH x PAGE_MAX_HEIGHT, as WebP."""
    if not 1 <= number <= MAX_PAGES:
        raise NoPreview(f"page {number}")
    return _webp(_draw(data, content_type, number, PAGE_WIDTH, PAGE_MAX_HEIGHT))


def _draw(data: bytes, content_type: str, number: int, width: int, height: int) -> Image.Image:
    if content_type in IMAGE_FORMATS:
        if number != 1:
            raise NoPreview(f"page {number}")
        image = _open_image(data, content_type)
        try:
            image.draft("RGB", (width, height))  # JPEG: decode at a reduced scale, much faster
            image.seek(0)  # an animated GIF: its first frame
            image.load()
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
            image.thumbnail((width, height), Image.Resampling.LANCZOS)
            return image
        except NoPreview:
            raise
        except Exception as error:  # a truncated or corrupt file: Pillow raises many kinds
            raise NoPreview(str(error)) from error
    if content_type == PDF:
        return _draw_pdf(data, number, width, height)
    raise NoPreview(content_type)


def _open_image(data: bytes, content_type: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[IMAGE_FORMATS[content_type]])
    except Exception as error:  # not an image of its type, or Pillow's own bomb check
        raise NoPreview(str(error)) from error
    if image.width * image.height > MAX_PIXELS or image.width <= 0 or image.height <= 0:
        image.close()
        raise NoPreview(f"{image.width} x {image.height} pixels")
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _open_pdf(data: bytes) -> pdfium.PdfDocument:

    try:
        return pdfium.PdfDocument(data)
    except Exception as error:  # broken, encrypted with a password, not a PDF
        raise NoPreview(str(error)) from error


def _draw_pdf(data: bytes, number: int, width: int, height: int) -> Image.Image:
    with _pdfium_lock:
        pdf = _open_pdf(data)
        try:
            if number > min(len(pdf), MAX_PAGES):
                raise NoPreview(f"page {number}")
            pdf_page = pdf[number - 1]
            try:
                page_width, page_height = pdf_page.get_size()
                if page_width <= 0 or page_height <= 0:
                    raise NoPreview("an empty page")
                scale = min(width / page_width, height / page_height)
                bitmap = pdf_page.render(scale=scale, may_draw_forms=False)
                try:
                    return bitmap.to_pil().convert("RGB")
                finally:
                    bitmap.close()
            finally:
                pdf_page.close()
        except NoPreview:
            raise
        except Exception as error:
            raise NoPreview(str(error)) from error
        finally:
            pdf.close()


def _webp(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue()
