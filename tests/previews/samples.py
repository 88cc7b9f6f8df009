"""Sample files for the preview tests: real images and PDFs, drawn here, never shipped as binaries."""

from __future__ import annotations

import io
import struct
import zlib

import pypdfium2 as pdfium
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def png(width: int = 800, height: int = 600, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def jpeg(width: int = 1600, height: int = 900, colour: tuple[int, int, int] = (30, 90, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="JPEG", quality=80)
    return out.getvalue()


def pdf(pages: int = 2) -> bytes:
    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(595, 842)  # A4 in points
    out = io.BytesIO()
    document.save(out)
    document.close()
    return out.getvalue()


def png_bomb(width: int = 10_000, height: int = 5_000) -> bytes:
    """A valid PNG header declaring ``width`` x ``height`` pixels, in a few hundred bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    rows = zlib.compress(b"\x00" * 4096)  # the start of the rows; the file is refused before decoding
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)
