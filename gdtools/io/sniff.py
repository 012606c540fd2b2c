"""Which format a file is: by extension, else by its first bytes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from .text import looks_binary

REPORT_EXTENSIONS = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html",
                     ".xhtml": "html", ".docx": "docx", ".pdf": "pdf", ".doc": "doc"}


def sniff_content(data: bytes) -> str:
    """Format guessed from content: ``pdf``, ``docx``, ``doc`` (OLE2), ``html``, ``zip`` or ``txt``."""
    head = data[:1024]
    if head.lstrip().startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "docx" if "word/document.xml" in archive.namelist() else "zip"
        except zipfile.BadZipFile:
            return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "doc"
    probe = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if probe.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head.lower() \
            or b"<body" in head.lower() or (probe.startswith(b"<") and b"<p" in data[:4096].lower()):
        return "html"
    return "txt"


def sniff_format(path: Path, data: bytes) -> str:
    """Format of ``path``: its extension when the content agrees, else what the content is.

    Crawled corpora hold web pages saved as .doc/.docx/.pdf (a Word export, or the site's
    error page) and .doc files that are really .docx: they are read as what they are.
    Binary content that matches no format keeps the extension, so its loader names the damage.
    """
    fmt = REPORT_EXTENSIONS.get(path.suffix.lower())
    content = sniff_content(data)
    if fmt is None:
        return content
    if fmt in ("txt", "md"):
        # a saved web page named .txt, or a PDF/Word file given a text name
        return content if content in ("pdf", "docx", "doc") or content == "html" and fmt == "txt" else fmt
    if content == fmt or content == "zip" and fmt == "docx":
        return fmt
    if content in ("pdf", "docx", "doc", "html"):
        return content
    return fmt if fmt == "html" or looks_binary(data) else "txt"


def sniff_path(path: Path) -> str | None:
    """Format of a file with an unknown extension when its content looks like a report, else None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError:
        return None
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                return "docx" if "word/document.xml" in archive.namelist() else None
        except (zipfile.BadZipFile, OSError):
            return None
    fmt = sniff_content(head)
    if fmt in ("pdf", "doc", "html"):
        return fmt
    if looks_binary(head):
        return None
    # A cut multi-byte character at the end of the probe is not a reason to reject it.
    return "txt" if any("公开" in head.decode(enc, "ignore") for enc in ("utf-8", "gb18030")) else None
