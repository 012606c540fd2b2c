"""Safety limits every loader checks before doing expensive work on untrusted files."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import LimitExceeded

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Upper bounds for one input file. Defaults fit every real report seen (largest ~5 MB).

    Every limit is checked before the expensive step it guards (the PDF page count before
    any page is laid out, a docx member's size before it is inflated) and refused with a
    :class:`~gdtools.errors.LimitExceeded` naming the limit to raise.
    """

    max_file_bytes: int = 50 * MB
    max_pdf_pages: int = 200
    max_decompressed_bytes: int = 200 * MB
    # The longest real report text is under 100,000 characters; 2 million bounds the time and memory
    # of sections, tables and narrative on a runaway file (a 30 MB single line, a log saved as .txt).
    max_text_chars: int = 2_000_000

    def check_file_size(self, size: int, source: str) -> None:
        if size > self.max_file_bytes:
            raise LimitExceeded(
                f"文件过大 ({size} bytes > max_file_bytes={self.max_file_bytes}); "
                "raise Limits(max_file_bytes=...) if the file is trusted", source)

    def check_pages(self, pages: int, source: str) -> None:
        if pages > self.max_pdf_pages:
            raise LimitExceeded(
                f"PDF 页数过多 (at least {pages} pages > max_pdf_pages={self.max_pdf_pages}); "
                "raise Limits(max_pdf_pages=...) if the file is trusted", source)

    def check_decompressed(self, size: int, source: str) -> None:
        if size > self.max_decompressed_bytes:
            raise LimitExceeded(
                f"解压后内容过大 ({size} bytes > max_decompressed_bytes={self.max_decompressed_bytes}); "
                "possible compression bomb; raise Limits(max_decompressed_bytes=...) if the file is trusted", source)

    def check_text(self, chars: int, source: str) -> None:
        if chars > self.max_text_chars:
            raise LimitExceeded(
                f"文本过长 ({chars} characters > max_text_chars={self.max_text_chars}); not a single report? "
                "split the file, or raise Limits(max_text_chars=...) if it is one", source)
