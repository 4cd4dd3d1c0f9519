"""Certificate files: checked by their content, not their name (R-G4).

A certificate is a PDF (it must open with pypdf) or a PNG or JPEG image (its first
bytes must be the format's signature), at most :data:`MAX_BYTES`. The stored file gets a
random name under MEDIA_ROOT (see ``models.certificate_path``) and is served only by the
permission-checked view.
"""

from __future__ import annotations

import io
from typing import IO, Any

from django.core.exceptions import ValidationError

MAX_BYTES = 10 * 1024 * 1024
PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}


def sniff(head: bytes) -> str | None:
    """The content type the first bytes announce, or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    return None


def check(upload: IO[bytes] | Any) -> str:
    """Validate an uploaded certificate; return its content type or raise a
    ValidationError on ``certificate`` saying what is wrong."""
    size = getattr(upload, "size", None)
    if size is None:
        pos = upload.tell()
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(pos)
    if size == 0:
        raise ValidationError({"certificate": "The file is empty."})
    if size > MAX_BYTES:
        raise ValidationError({"certificate": f"The file is {size / 1048576:.1f} MB; "
                                              f"certificates may be at most "
                                              f"{MAX_BYTES // 1048576} MB."})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head)
    if kind is None:
        raise ValidationError({"certificate": "Upload the certificate as a PDF, PNG or JPEG "
                                              "file; this file is none of those."})
    if kind == PDF:
        from pypdf import PdfReader
        try:
            reader = PdfReader(io.BytesIO(upload.read()))
            pages = len(reader.pages)
        except Exception as exc:  # any parser failure means an unreadable upload
            raise ValidationError({"certificate": "The PDF cannot be read (it may be damaged "
                                                  "or not really a PDF)."}) from exc
        finally:
            upload.seek(0)
        if pages == 0:
            raise ValidationError({"certificate": "The PDF has no pages."})
    elif kind == PNG and len(head) < 16:
        raise ValidationError({"certificate": "The image is cut short."})
    return kind
