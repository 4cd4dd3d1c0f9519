"""The signed MOU document: checked to be a readable PDF, stored under MEDIA_ROOT with a
random name, and never served by the web server directly (only through the views that
check permission).
"""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

#: The largest signed document accepted (bytes).
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
STORAGE_DIR = "program/mous"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Document:
    """A checked upload, not yet stored."""

    content: bytes
    name: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def _error(message: str) -> ValidationError:
    return ValidationError({"document": message})


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def read_document(upload: Any, name: str = "") -> Document:
    """Check that ``upload`` (an uploaded file or bytes) is a PDF that can be read, within
    the size limit. Raises ValidationError on the ``document`` field otherwise."""
    if isinstance(upload, bytes | bytearray):
        content, name = bytes(upload), name or "mou.pdf"
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > MAX_DOCUMENT_BYTES:
            raise _error(f"The file is {_megabytes(size)}; the limit is "
                         f"{_megabytes(MAX_DOCUMENT_BYTES)}. Upload a smaller PDF.")
        content = upload.read(MAX_DOCUMENT_BYTES + 1)
        name = name or getattr(upload, "name", "") or "mou.pdf"
    if len(content) > MAX_DOCUMENT_BYTES:
        raise _error(f"The file is larger than {_megabytes(MAX_DOCUMENT_BYTES)}. "
                     "Upload a smaller PDF.")
    if not content:
        raise _error("The file is empty. Upload the signed MOU as a PDF.")
    if b"%PDF-" not in content[:1024]:
        raise _error("This file is not a PDF. Upload the signed MOU as a PDF.")
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise _error("This PDF is password-protected. Upload a copy without a password "
                         "so that it can be read and published.")
        pages = len(reader.pages)
    except ValidationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError,
            RecursionError) as exc:
        logger.info("rejected an unreadable PDF: %s", exc)
        raise _error("This PDF cannot be read (it may be damaged or incomplete). "
                     "Save it again as a PDF and upload that copy.") from exc
    if pages < 1:
        raise _error("This PDF has no pages.")
    return Document(content, clean_name(name), hashlib.sha256(content).hexdigest())


def clean_name(name: str) -> str:
    """The uploaded file's name, reduced to safe characters, ending in .pdf."""
    base = PurePath(name.replace("\\", "/")).name or "mou.pdf"
    safe = "".join(c if c.isalnum() or c in "-_. " else "_" for c in base).strip(" .")
    safe = safe[:150] or "mou"
    if not safe.lower().endswith(".pdf"):
        safe += ".pdf"
    return safe


def store(document: Document) -> str:
    """Save under a random name; returns the storage name."""
    wanted = f"{STORAGE_DIR}/{secrets.token_hex(16)}.pdf"
    return default_storage.save(wanted, ContentFile(document.content))


def delete(stored: str) -> None:
    if stored:
        try:
            default_storage.delete(stored)
        except OSError:  # pragma: no cover - the file is already gone
            logger.warning("could not delete %s", stored)


def open_stored(stored: str) -> Any:
    return default_storage.open(stored, "rb")


def exists(stored: str) -> bool:
    return bool(stored) and default_storage.exists(stored)


def minimal_pdf(lines: list[str]) -> bytes:
    """A small one-page PDF with the given lines of text (demo data and tests)."""
    def esc(text: str) -> str:
        return (text.encode("latin-1", "replace").decode("latin-1")
                .replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)"))

    stream = "BT /F1 11 Tf 72 740 Td 14 TL\n" + "".join(
        f"({esc(line)}) Tj T*\n" for line in lines) + "ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
              "%%EOF\n".encode())
    return out.getvalue()
